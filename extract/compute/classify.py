"""Compute-case classification: from the spans of the NLP pipeline and the notice's layout to `ComputeFindings`.

Rules, each a small function below, each decision with the sentences behind it:

* **remote_compute / compute_kinds** — a kind is established by one *strong* piece of evidence (2 points):
  a service term in the title; a service term beside an acquisition word (租用, 服务期, 包年包月, a provider …) in a
  body sentence; a billing unit with a number (600万核时, 4000万tokens, 元/卡/月); a cloud instance type (p5.48xlarge);
  a GPU / accelerator mention beside a *strong* rental word (租用, 使用权, 所有权归投标人). Topic words (云计算, 算力资源,
  tokens) count only beside an acquisition word. Nothing counts in administrative sections (资格要求 …) or
  boiler-plate (政采云服务热线 …), inside a trap word (云南, 腾讯会议), or after a negation in its clause
  (不涉及云资源租用, 不接受云端部署). A notice whose title's object is a service *about* compute (测评, 运维, 施工 …)
  without a rental word in the title seeks no compute: its body describes the thing assessed or maintained.
  GPU cloud instances are both `cloud` and `gpu_rental`.
* **hardware_purchase** — accelerator hardware (GPU服务器, 加速卡, a chip, 8卡) in a sentence with no rental word, and
  a purchase context: a purchase word (供货, 质保, 安装调试 …) or the buyer's own machine room in that sentence, or a
  goods notice (品目 货物…, a 是否允许进口产品 column, goods-contract words such as 交货 / 品牌型号 anywhere), or a
  title whose object is hardware.
* **cloud_providers** (only for remote compute) — providers named outside boiler-plate, not as the one that
  "could not supply"; **gpu_models** — chips that pass the look-alike checks, instance types and spec-only chips.
* **flags** — us_provider (facts), controlled_chip (export status at the notice's date), intermediary (a reseller
  word, or a winning vendor that is not the provider), offshore, domestic_only.

* **possible cases** — a notice that is neither a case nor a purchase but has compute evidence that fell short
  (partial points of a kind, accelerator hardware not bought, a chip named, a quantity of compute, compute only in
  administrative sections, specifications fitting several chips, a service *about* compute) gets `compute_candidate`,
  a score and reason codes (data/candidates.toml), each with a `candidate:<code>` sentence.

Inline pinyin (顯(xiǎn)卡) is removed before all of this (pinyin.py); evidence offsets are mapped back.

Cancellations and corrections go through the same rules: their text restates what the procurement was (原采购内容,
更正内容), so they keep its flags. Only lines holding a trigger word (`nlp.gate`) are run through spaCy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Iterable, Optional

from extract.compute.lexicon import Lexicon, compiled, load_lexicon, norm_key, trie_regex
from extract.compute.nlp import decode_figures, gate, get_nlp, infer_spec_chip, line_gate, spec_matches
from extract.compute.pinyin import OffsetMap, strip_pinyin
from extract.compute.vocabulary import FLAGS, KINDS  # in their order (data/kinds.toml, flags.toml)
from extract.compute.structure import (
    Mention, Sentence, attach_mentions, category_spans, clause_of, has_goods_marker, is_goods_category,
    soft_wrap, split_sentences,
)
from extract.types import ComputeFindings, DocumentText, Evidence, NoticeFields

STRONG = 2.0  # points that establish a kind or a purchase
SERVICE = ("service", "service_weak")
# words that say something is acquired as a service; beside a service term a provider name says so too
ACQUIRE_WORDS = ("rental", "service_period", "billing", "BILLING_UNIT", "INSTANCE", "SUPPLIER_OWNED")
ACQUIRE = ACQUIRE_WORDS + ("PROVIDER", "PRODUCT")
ACCEL_CONTEXT = ("accelerator", "hardware", "CARDS", "CHIP_TIMES", "INSTANCE", "SPEC", "SPEC_CHIP")
# a chip name that carries its brand needs no further context
_BRAND = re.compile(r"nvidia|英伟达|英偉達|辉达|輝達|tesla|geforce|rtx|dgx|hgx|昇腾|昇騰|ascend|atlas|思元|mlu|海光|dcu|深算"
                    r"|昆仑芯|昆侖芯|摩尔线程|摩爾線程|mtt|曦云|曦雲|沐曦|instinct|amd|grace")
# hardware words that are accelerator hardware by themselves (服务器 alone is not)
_ACCEL_HW = re.compile(r"gpu|算力|训练|推理|训推|大模型|deepseek|ai|智算|加速|显卡|顯卡|计算卡|人工智能|深度学习|accelerat")
# a GPU itself (not 算力 / 训练 / AI): beside a cloud service it makes the instances GPU instances
_GPU_WORD = re.compile(r"gpu|显卡|顯卡|加速卡|nvidia|英伟达")
_DATE = re.compile(r"(20\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})")
EVIDENCE_MAX = 240  # characters of a sentence quoted as evidence


# --------------------------------------------------------------------------- reading the documents
def _documents(body: DocumentText, attachments: Iterable[DocumentText]) -> list[tuple[str, DocumentText]]:
    out = [("", body)]
    for i, att in enumerate(attachments):
        name = att.name or f"attachment-{i + 1}"
        out.append((name, att))
        out += [(f"{name}/{p.name or j + 1}", p) for j, p in enumerate(att.parts)]
    return out


def _title(body: DocumentText, fields: Optional[NoticeFields]) -> Optional[str]:
    for t in ((fields.title if fields else None), body.title, body.meta.get("ArticleTitle") if body.meta else None):
        if t and t.strip():
            return t.strip()
    return None


def _title_span(text: str, title: Optional[str]) -> Optional[tuple[int, int]]:
    """Where the title stands in the text: the given title if found, else a first line that reads like one."""
    if title:
        i = text.find(title)
        if i >= 0:
            return i, i + len(title)
    for m in re.finditer(r"[^\n]+", text[:2000]):
        line = m.group(0).strip().lstrip("#").strip()
        if 6 <= len(line) <= 120 and re.search(
                r"项目|项目|采购|採購|公告|合同|招标|招標|标案|標案|租|服务|服務|tender|procurement|purchase|contract"
                r"|rental|services?|notice", line, re.I):
            s = text.index(line, m.start())
            return s, s + len(line)
    return None


def _mentions(doc, text: str, lex: Lexicon) -> list[Mention]:
    out = [Mention(label, kb, s, e, text[s:e]) for _group, s, e, label, kb in doc.user_data.get("hits", [])]
    key = norm_key(text)
    for label, pat in (("SUPPLIER_OWNED", "supplier_owned"), ("BUYER_OWNED", "buyer_owned"),
                       ("PURCHASE_OBJECT", "purchase_object"), ("OWN_INFRA", "own_infrastructure"),
                       ("negation", "negation_word")):
        for m in compiled(lex.patterns[pat]).finditer(key):
            out.append(Mention(label, "", m.start(), m.end(), text[m.start():m.end()]))
    return out


@dataclass
class _Checked:
    """Mentions that survived the trap, negation and look-alike checks, per sentence."""

    sentence: Sentence
    valid: list[Mention] = field(default_factory=list)
    negated: list[Mention] = field(default_factory=list)
    unavailable: list[Mention] = field(default_factory=list)

    def has(self, *labels: str) -> bool:
        return any(m.label in labels for m in self.valid)

    def of(self, *labels: str) -> list[Mention]:
        return [m for m in self.valid if m.label in labels]


def _chip_is_real(m: Mention, sent: Sentence, key: str, lex: Lexicon, others: list[Mention]) -> bool:
    """A chip name is a chip unless it is a room, building or product code, and a bare model number needs
    accelerator context in its sentence."""
    before = key[max(0, m.start - 14):m.start]
    if _chip_trapped(m, key, lex):
        return False
    if _BRAND.search(key[m.start:m.end]) or _BRAND.search(before[-8:]):
        return True
    ctx = [o for o in others if o is not m and (o.label in ACCEL_CONTEXT
           or (o.label in SERVICE and ("gpu_rental" in o.kb or "cloud" in o.kb))
           or (o.label == "CHIP" and _BRAND.search(key[o.start:o.end])))]
    return bool(ctx)


def _chip_trapped(m: Mention, key: str, lex: Lexicon) -> bool:
    """A chip-like token next to a look-alike word: a room, a building, a valve, an angle-steel size (角钢L20×3)."""
    return bool(compiled(lex.patterns["chip_trap_after"]).search(key[m.end:m.end + 8])
                or compiled(lex.patterns["chip_trap_before"]).search(key[max(0, m.start - 14):m.start]))


def _machine_time_without_computing(m: Mention, sent: Sentence, key: str, title_key: str, lex: Lexicon) -> bool:
    """机时 is computing time only beside a computing word in its sentence or the title (电镜机时 is instrument time)."""
    if m.label not in ("service", "BILLING_UNIT") or not compiled(lex.patterns["machine_time"]).match(key[m.start:m.end]):
        return False
    ctx = compiled(lex.patterns["machine_time_context"])
    return not (ctx.search(key, sent.start, sent.end) or ctx.search(title_key))


def _api_without_model(m: Mention, sent: Sentence, key: str, title_key: str, lex: Lexicon) -> bool:
    """API调用 / API access is a hosted model only beside a model word in its sentence or the title (地图API调用 is not)."""
    if m.label not in ("service", "service_weak") or not compiled(lex.patterns["generic_api"]).match(key[m.start:m.end]):
        return False
    ctx = compiled(lex.patterns["model_context"])
    return not (ctx.search(key, sent.start, sent.end) or ctx.search(title_key))


# labels that say a thing is rented or bought in its sentence
_ACQUIRED = {"rental", "purchase", "PURCHASE_OBJECT", "BUYER_OWNED", "SUPPLIER_OWNED", "BILLING_UNIT", "CARDS",
             "SERVERS", "INSTANCE"}


@lru_cache(maxsize=1)
def _topic_words() -> re.Pattern:
    lex = load_lexicon()
    return re.compile(trie_regex(norm_key(t) for g in lex.groups if g.name == "topic" for t in g.terms))


def _saas_notice(checked: list[_Checked], lex: Lexicon) -> None:
    """A notice that says it subscribes an application (SaaS, 在线学习平台) anywhere: its cloud topic words (云服务, 云端)
    describe how the application is delivered. Sentences naming a service layer (IaaS / PaaS) keep them."""
    if not any(m.label == "saas" for c in checked if c.sentence.weight > 0 for m in c.sentence.mentions):
        return
    layer = compiled(lex.patterns["iaas_layer"])
    for c in checked:
        if not layer.search(norm_key(c.sentence.text)):
            c.valid = [m for m in c.valid if not (m.label == "service_weak" and "cloud" in m.kb)]


def _check(sent: Sentence, key: str, lex: Lexicon, title_key: str = "") -> _Checked:
    ms = sent.mentions
    traps = [m for m in ms if m.label == "trap"]
    negs = [m for m in ms if m.label == "negation"]
    unav = [m for m in ms if m.label == "unavailable"]
    out = _Checked(sent)
    # chip names next to a look-alike word (L20 in 角钢L20×3): their quantity (L20×3) is no chip count either
    trapped = [m for m in ms if m.label == "CHIP" and _chip_trapped(m, key, lex)]
    labels = {m.label for m in ms}
    saas = "saas" in labels
    # a course or study about chips (in the sentence, or the whole notice by its title) names them as subjects, unless
    # the same sentence rents or buys them
    topic = ("topic" in labels or _topic_words().search(title_key) is not None) and not labels & _ACQUIRED
    for m in ms:
        if m.label in ("trap", "negation", "unavailable"):
            continue
        if any(t.start < m.end and m.start < t.end for t in traps):
            continue  # 政采云(服务热线) / 云南 / 腾讯会议 …: the mention overlaps a look-alike word
        machine = next((h for h in ms if h.label == "hardware" and h.start < m.end and m.start < h.end
                        and h.end > m.end), None) if m.label in SERVICE else None
        if machine is not None:
            # 高性能计算服务(器), GPU运算(节点): the service word is the start of a machine's name, which it widens
            if m.start < machine.start:
                machine.start = m.start
                machine.text = sent.text[m.start - sent.start:machine.end - sent.start]
            continue
        if m.label == "CHIP" and not _chip_is_real(m, sent, key, lex, ms):
            continue
        if topic and m.label in ("CHIP", "CHIP_TIMES", "SPEC"):
            continue
        if saas and m.label == "service_weak" and "cloud" in m.kb:
            continue  # 在线学习平台云服务订阅: the application is delivered from a cloud, no compute is bought
        if m.label == "CHIP_TIMES" and any(t.start < m.end and m.start < t.end for t in trapped):
            continue
        if _machine_time_without_computing(m, sent, key, title_key, lex) or _api_without_model(m, sent, key, title_key, lex):
            continue
        if m.label == "rental" and compiled(lex.patterns["rental_other_object"]).match(key, m.end):
            continue  # 租用…测试车辆: the thing rented is no compute
        cs, ce = clause_of(sent.text, m.start, m.end, sent.start)
        # a negation earlier in the clause, or one holding the mention (无GPU, without GPU云服务器)
        if any(cs <= n.start and (n.start < m.start or (n.start == m.start and m.end <= n.end)) for n in negs):
            out.negated.append(m)
            continue
        if m.label in ("PROVIDER", "PRODUCT") and any(cs <= u.start and u.end <= ce for u in unav):
            out.unavailable.append(m)
            continue
        out.valid.append(m)
    return out


# --------------------------------------------------------------------------- decisions
@dataclass
class _Decision:
    points: float = 0.0
    evidence: list[tuple[float, Sentence, Mention]] = field(default_factory=list)

    def add(self, pts: float, sent: Sentence, m: Mention) -> None:
        self.points = max(self.points, pts)
        self.evidence.append((pts, sent, m))

    @property
    def established(self) -> bool:
        return self.points >= STRONG


def _title_object(checked: list[_Checked], title_key: str = "") -> tuple[bool, bool, bool, bool]:
    """(non_compute, purchase, rental, buys_hardware) of the title: does it buy a service about compute (测评, 运维 …)
    with no rental word, hardware with no service word, rent compute (租用, 算力租赁, GPU云服务器) with no purchase of
    hardware, or buy hardware beside whatever else (GPU算力租用及服务器采购)?"""
    titles = [c for c in checked if c.sentence.zone == "title"]
    non_compute = any(c.has("non_compute") for c in titles) and not any(
        c.has("rental", "billing", "BILLING_UNIT") for c in titles)
    hw = any(c.has("hardware", "CHIP", "PURCHASE_OBJECT") for c in titles) and not any(c.has("hosting") for c in titles)
    service = any(c.has("service", "rental", "INSTANCE") for c in titles)
    buys_hw = any(c.has("PURCHASE_OBJECT", "purchase") for c in titles) or bool(
        compiled(load_lexicon().patterns["hardware_then_purchase"]).search(title_key))
    rents = [c.has("rental", "INSTANCE") or any(k in m.kb for m in c.of("service") for k in ("gpu_rental", "cloud"))
             for c in titles]
    rental = any(rents) and not buys_hw
    return non_compute, hw and not service, rental, buys_hw


_PER_MACHINE = re.compile(r"元\s*/\s*台")


def _billing_kind(m: Mention, c: _Checked) -> str:
    """The kind a billing unit stands for. A price per machine (元/台/月) is a cloud server's, unless the machines are
    accelerator hardware and no cloud word is in the sentence: then GPU servers are rented (300元/台/天, 8卡4090)."""
    if m.kb == "cloud" and _PER_MACHINE.match(norm_key(m.text)):
        cloud_word = any("cloud" in x.kb for x in c.of(*SERVICE)) or c.has("INSTANCE", "PROVIDER", "PRODUCT")
        accel = c.has("CHIP", "CARDS", "CHIP_TIMES", "SPEC_CHIP") or any(
            _ACCEL_HW.search(norm_key(x.text)) for x in c.of("accelerator", "hardware"))
        if accel and not cloud_word:
            return "gpu_rental"
    return m.kb


def _model_in(c: _Checked) -> bool:
    return c.has("model_service") or any("model_api" in m.kb for m in c.of(*SERVICE))


def _local(c: _Checked, lex: Lexicon) -> bool:
    """A model on the buyer's machines (本地部署, a licence, an appliance, a server bought, 部署DeepSeek): its call counts
    and concurrency size a deployment, not a hosted service."""
    return c.has("local_deploy", "hardware", "PURCHASE_OBJECT") or bool(
        compiled(lex.patterns["local_model"]).search(norm_key(c.sentence.text)))


def _title_local(titles: list[_Checked], title_key: str, lex: Lexicon) -> bool:
    return any(_local(c, lex) for c in titles) or bool(compiled(lex.patterns["local_model"]).search(title_key))


def _remote(checked: list[_Checked], title_key: str = "") -> dict[str, _Decision]:
    kinds = {k: _Decision() for k in KINDS}
    lex = load_lexicon()
    titles = [c for c in checked if c.sentence.zone == "title"]
    title_model = any(_model_in(c) for c in titles)
    title_local = _title_local(titles, title_key, lex)
    model_ctx = compiled(lex.patterns["model_context"])
    for c in checked:
        s = c.sentence
        if s.weight < 1.0:
            continue  # administrative sections and boiler-plate never establish a kind
        acquire = c.has(*ACQUIRE)
        strong_rental = c.has("rental", "SUPPLIER_OWNED")
        buying = c.has("purchase", "BUYER_OWNED", "PURCHASE_OBJECT")
        # a topic word (云服务, 算力资源, tokens) needs more than 服务期 / 开通: SaaS (短信云服务) has a service period too
        acquire_strong = c.has(*(a for a in ACQUIRE if a != "service_period"))
        # kinds said outright in this sentence (a strong term, a product, a billing unit): a topic word of another
        # kind beside them is the channel, not a second thing bought (境外云平台 … Claude API → model_api only)
        outright = {k for m in c.of("service") for k in m.kb.split(",")} | {m.kb for m in c.of("BILLING_UNIT")} | {
            m.kb.split(":")[1] for m in c.of("PRODUCT")}
        # a hosted model sized by calls, rate limits, concurrency or transcription hours (not by the token), beside a
        # model word and not run on the buyer's own machines
        api_usage = c.of("api_usage")
        if c.has("rental", "service_period", "billing", "BILLING_UNIT"):
            api_usage += c.of("concurrency")
        local = title_local or _local(c, lex)
        api_acq = bool(api_usage) and not local and (
            _model_in(c) or title_model) and bool(model_ctx.search(norm_key(s.text)) or model_ctx.search(title_key))
        if api_acq:
            outright.add("model_api")  # 以云端接口方式提供…大模型服务: the cloud is the channel
        for m in c.of(*SERVICE):
            if m.label == "service_weak" and outright and not set(m.kb.split(",")) & outright:
                continue
            acq = acquire if m.label == "service" else acquire_strong
            if "model_api" in m.kb and api_acq:
                acq = True
            for k in m.kb.split(","):
                if s.zone == "title":
                    pts = STRONG if (m.label == "service" or acq) else 0.5
                elif s.zone == "category":
                    pts = 1.0
                else:
                    pts = STRONG if acq else (0.5 if m.label == "service" else 0.0)
                kinds[k].add(pts, s, m)
        for m in c.of("BILLING_UNIT"):
            kinds[_billing_kind(m, c)].add(STRONG, s, m)
        if api_acq:
            kinds["model_api"].add(STRONG, s, (c.of("model_service") or api_usage)[0])
        elif s.zone == "title" and c.has("model_service") and not title_local:
            kinds["model_api"].add(0.5, s, c.of("model_service")[0])  # a topic, as 云计算 in a title
        acquire_word = c.has(*ACQUIRE_WORDS)
        for m in c.of("PRODUCT"):  # Amazon Bedrock, Azure OpenAI: the product names its kind
            k = m.kb.split(":")[1]
            kinds[k].add(STRONG if acquire_word or s.zone == "title" else 1.0, s, m)
        for m in c.of("INSTANCE"):
            kinds["cloud"].add(STRONG, s, m)
            kinds["gpu_rental"].add(STRONG, s, m)
        for m in c.of("PROVIDER"):  # a provider paid (or called by the call) is cloud, but never enough alone
            if acquire_word or api_usage:
                kinds["cloud"].add(1.0, s, m)
        # renting accelerators: a GPU / chip / card count beside a strong rental word, not in a purchase sentence
        # and not about the buyer's own machines (racks rented to host 自有GPU服务器 are colocation)
        if strong_rental and not buying and not c.has("OWN_INFRA"):
            accel = [m for m in c.valid if m.label in ("CHIP", "SPEC_CHIP", "CARDS", "CHIP_TIMES")
                     or (m.label in ("accelerator", "hardware") and _ACCEL_HW.search(norm_key(m.text)))]
            if accel:
                kinds["gpu_rental"].add(STRONG, s, accel[0])
    # GPU cloud instances are cloud and gpu_rental: a chip or a GPU named in a sentence that establishes cloud
    if kinds["cloud"].established and not kinds["gpu_rental"].established:
        for pts, s, _m in list(kinds["cloud"].evidence):
            c = next(x for x in checked if x.sentence is s)
            chips = c.of("CHIP", "SPEC_CHIP", "INSTANCE") + [
                m for m in c.of("accelerator", "hardware") if _GPU_WORD.search(norm_key(m.text))]
            if pts >= STRONG and chips:
                kinds["gpu_rental"].add(STRONG, s, chips[0])
    return kinds


def _hardware(checked: list[_Checked], title_purchase: bool, goods: bool, title_rental: bool = False) -> _Decision:
    """`title_rental`: the title rents compute, or the notice rents accelerators; then servers set up, installed or
    delivered in the body are the provider's, and only an explicit purchase of hardware (采购…服务器) or the buyer's
    ownership makes a purchase."""
    d = _Decision()
    for c in checked:
        s = c.sentence
        if s.weight < 1.0 or c.has("rental", "SUPPLIER_OWNED"):
            continue
        if c.has("OWN_INFRA") and not c.has("purchase", "PURCHASE_OBJECT"):
            continue  # the buyer's own machines, hosted or maintained (自有GPU服务器托管), are not bought here
        if any("cloud" in m.kb or "gpu_rental" in m.kb for m in c.of("service")):
            continue  # GPU云服务器 is a service, not a server bought
        hw = c.of("hardware", "CHIP", "CARDS", "CHIP_TIMES", "PURCHASE_OBJECT", "SPEC_CHIP", "SPEC")
        accel = [m for m in c.valid if m.label in ("CHIP", "SPEC_CHIP", "CHIP_TIMES", "SPEC")
                 or (m.label in ("accelerator", "hardware", "PURCHASE_OBJECT") and _ACCEL_HW.search(norm_key(m.text)))]
        if not hw or not accel:
            continue
        if title_rental:
            buying = c.has("BUYER_OWNED", "PURCHASE_OBJECT")
        else:
            buying = c.has("purchase", "BUYER_OWNED", "PURCHASE_OBJECT") or title_purchase or goods
        d.add(STRONG if buying else 0.5, s, accel[0])
    return d


@lru_cache(maxsize=1)
def _goods_words() -> re.Pattern:
    """Words of a goods contract (terms.toml group "goods") and the buyer-ownership clause, anywhere in a document:
    read over the whole text, since such lines carry no trigger word and never reach the NLP."""
    lex = load_lexicon()
    words = [norm_key(t) for g in lex.groups if g.name == "goods" for t in g.terms]
    return re.compile(trie_regex(words) + "|" + lex.patterns["buyer_owned"])


def _notice_date(fields: Optional[NoticeFields], body: DocumentText) -> Optional[str]:
    if fields and fields.published_at:
        return fields.published_at.isoformat()[:10]  # the day of a date or datetime
    pub = (body.meta or {}).get("PubDate") if body.meta else None
    for text in (pub or "", body.text[:3000]):
        m = _DATE.search(text or "")
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def _evidence(field_name: str, sent: Sentence, m: Optional[Mention] = None) -> Evidence:
    start, end = sent.start, sent.end
    if end - start > EVIDENCE_MAX and m is not None:
        half = EVIDENCE_MAX // 2
        start = max(sent.start, m.start - half)
        end = min(sent.end, start + EVIDENCE_MAX)
    return Evidence(field=field_name, text=sent.text[start - sent.start:end - sent.start], start=start, end=end,
                    document=sent.document)


def _best(items: list[tuple[float, Sentence, Mention]], n: int = 2) -> list[tuple[Sentence, Mention]]:
    ranked = sorted(items, key=lambda x: (-x[0], -x[1].weight, x[1].document != "", x[1].start))
    out, seen = [], set()
    for _pts, s, m in ranked:
        if (s.document, s.start) in seen:
            continue
        seen.add((s.document, s.start))
        out.append((s, m))
        if len(out) == n:
            break
    return out


def analyse(body: DocumentText, attachments: Iterable[DocumentText] = ()) -> list[_Checked]:
    """Sentences of the notice with their checked mentions (exposed for tests and debugging)."""
    return _analyse(body, list(attachments), None)


def _analyse(body: DocumentText, attachments: list[DocumentText], fields: Optional[NoticeFields]) -> list[_Checked]:
    lex = load_lexicon()
    nlp = get_nlp()
    trigger, line_trigger = gate(), line_gate()
    title = _title(body, fields)
    checked: list[_Checked] = []
    for name, d in _documents(body, attachments):
        text = d.text or ""
        key = norm_key(text)
        if not text.strip() or not trigger.search(key):
            continue  # nothing that could be evidence: most notices stop here
        span = _title_span(text, title if name == "" else (d.title or None))
        # Lines are the unit of segmentation (linear time); only lines with a trigger word, and the title's, go
        # through spaCy. Sentences cross a line only where it is soft-wrapped (structure.soft_wrap): the lines of such
        # a sentence go through spaCy together with a trigger line, so no evidence is lost.
        all_lines, gated = [], []
        pos = 0
        for line in text.splitlines(keepends=True):
            end = pos + len(line)
            all_lines.append((pos, end))
            gated.append(bool(line_trigger.search(key, pos, end) or (span and span[0] < end and pos < span[1])))
            pos = end
        wrapped = [e > s and text[e - 1] == "\n" and soft_wrap(text, e - 1) for s, e in all_lines]
        keep = list(gated)
        for i in range(len(all_lines) - 1):  # forwards: a trigger line's continuation
            if keep[i] and wrapped[i]:
                keep[i + 1] = True
        for i in range(len(all_lines) - 2, -1, -1):  # backwards: the start of a sentence ending on a trigger line
            if keep[i + 1] and wrapped[i]:
                keep[i] = True
        lines = [ln for ln, k in zip(all_lines, keep) if k]
        mentions: list[Mention] = []
        for (start, _end), doc in zip(lines, nlp.pipe(text[s:e] for s, e in lines)):
            for m in _mentions(doc, doc.text, lex):
                m.start += start
                m.end += start
                m.text = text[m.start:m.end]
                mentions.append(m)
        sentences = split_sentences(text, name, span)
        attach_mentions(sentences, mentions)
        title_key = key[span[0]:span[1]] if span else norm_key(title or "")
        checked += [_check(s, key, lex, title_key) for s in sentences if s.mentions]
    _spec_chip(checked, lex)
    _saas_notice(checked, lex)
    return checked


def _spec_chip(checked: list[_Checked], lex: Lexicon) -> None:
    """A chip given only by its specifications: when the notice names no chip or instance type and its figures
    match exactly one chip, every SPEC sentence becomes a mention of that chip."""
    specs = [(c, m) for c in checked for m in c.of("SPEC")]
    if not specs or any(c.has("CHIP", "INSTANCE") for c in checked):
        return
    chip = infer_spec_chip([decode_figures(m.kb) for _, m in specs], lex)
    if chip:
        for c, m in specs:
            c.valid.append(Mention("SPEC_CHIP", chip, m.start, m.end, m.text))


def _without_pinyin(doc: DocumentText) -> tuple[DocumentText, dict[str, tuple[str, OffsetMap]]]:
    """The document (and its ZIP members) with inline pinyin removed; maps keyed by the part's path below `doc`."""
    text, omap = strip_pinyin(doc.text or "")
    maps = {"": (doc.text, omap)} if omap else {}
    parts = []
    for j, p in enumerate(doc.parts):
        clean, sub = _without_pinyin(p)
        parts.append(clean)
        maps.update({f"{p.name or j + 1}" + (f"/{k}" if k else ""): v for k, v in sub.items()})
    if not maps:
        return doc, {}
    title = strip_pinyin(doc.title)[0] if doc.title else doc.title
    return replace(doc, text=text, title=title, parts=parts), maps


def _restore_offsets(ev: list[Evidence], maps: dict[str, tuple[str, OffsetMap]]) -> None:
    """Evidence found in the text without pinyin, pointed back at the original text (readings included)."""
    for e in ev:
        if e.document in maps:
            orig, omap = maps[e.document]
            e.start, e.end = omap(e.start), omap(e.end, end=True)
            e.text = orig[e.start:e.end]


def find_compute(body: DocumentText, attachments: list[DocumentText], fields: NoticeFields) -> ComputeFindings:
    """Did the notice seek remote compute, buy accelerators, or neither — with providers, chips, flags, evidence."""
    maps: dict[str, tuple[str, OffsetMap]] = {}
    body, sub = _without_pinyin(body)
    maps.update(sub)
    cleaned = []
    for i, att in enumerate(attachments or []):
        att2, sub = _without_pinyin(att)
        name = att.name or f"attachment-{i + 1}"
        maps.update({name + (f"/{k}" if k else ""): v for k, v in sub.items()})
        cleaned.append(att2)
    if maps and fields is not None:  # the fields were read from the annotated text too
        fields = replace(fields, title=strip_pinyin(fields.title)[0] if fields.title else fields.title,
                         vendors=[strip_pinyin(v)[0] for v in fields.vendors])
    findings = _find(body, cleaned, fields)
    if maps:
        _restore_offsets(findings.evidence, maps)
    return findings


def _find(body: DocumentText, attachments: list[DocumentText], fields: NoticeFields) -> ComputeFindings:
    lex = load_lexicon()
    checked = _analyse(body, attachments, fields)
    findings = ComputeFindings()
    ev = findings.evidence

    title_key = norm_key(_title(body, fields) or "")
    non_compute, title_purchase, title_rental, title_buys_hw = _title_object(checked, title_key)
    docs = _documents(body, attachments)
    goods = (any(is_goods_category(p) for _, d in docs for _, _, p in category_spans(d.text or ""))
             or any(has_goods_marker(d.text or "") for _, d in docs)
             or any(_goods_words().search(norm_key(d.text or "")) for _, d in docs))
    kinds = {k: _Decision() for k in KINDS} if non_compute else _remote(checked, title_key)
    # a notice that rents accelerators: servers installed or delivered in its body are the provider's, unless bought
    rented = title_rental or (kinds["gpu_rental"].established and not title_buys_hw)
    hw = _Decision() if non_compute else _hardware(checked, title_purchase, goods, rented)

    findings.compute_kinds = [k for k in KINDS if kinds[k].established]
    findings.remote_compute = bool(findings.compute_kinds)
    findings.hardware_purchase = hw.established
    if findings.remote_compute:
        best = _best([e for k in findings.compute_kinds for e in kinds[k].evidence if e[0] >= STRONG], 2)
        ev += [_evidence("remote_compute", s, m) for s, m in best]
        for k in findings.compute_kinds:
            strong = [e for e in kinds[k].evidence if e[0] >= STRONG]
            ev += [_evidence(f"compute_kinds:{k}", s, m) for s, m in _best(strong, 1)]
    if findings.hardware_purchase:
        ev += [_evidence("hardware_purchase", s, m) for s, m in _best([e for e in hw.evidence if e[0] >= STRONG], 2)]

    usable = [c for c in checked if c.sentence.weight > 0]
    # chips: named (checked), instance types, spec-only
    chips: dict[str, list] = {}
    for c in usable:
        for m in c.of("CHIP", "SPEC_CHIP"):
            chips.setdefault(m.kb, []).append((c.sentence.weight, c.sentence, m))
        for m in c.of("INSTANCE"):
            chips.setdefault(m.kb.split("|")[1], []).append((c.sentence.weight, c.sentence, m))
    findings.gpu_models = sorted(chips)
    for cid in findings.gpu_models:
        ev += [_evidence(f"gpu_models:{cid}", s, m) for s, m in _best(chips[cid], 1)]

    providers: dict[str, list] = {}
    if findings.remote_compute:
        for c in usable:
            for m in c.of("PROVIDER"):
                providers.setdefault(m.kb, []).append((c.sentence.weight, c.sentence, m))
            for m in c.of("PRODUCT"):
                providers.setdefault(m.kb.split(":")[0], []).append((c.sentence.weight, c.sentence, m))
            for m in c.of("INSTANCE"):
                providers.setdefault(m.kb.split("|")[0], []).append((c.sentence.weight, c.sentence, m))
    findings.cloud_providers = sorted(p for p in providers if p in lex.providers)
    for pid in findings.cloud_providers:
        ev += [_evidence(f"cloud_providers:{pid}", s, m) for s, m in _best(providers[pid], 1)]
    if findings.remote_compute and not findings.cloud_providers:
        _vendor_providers(findings, body, fields, lex)

    _flags(findings, checked, usable, providers, chips, fields, body, lex, docs)
    if not findings.remote_compute and not findings.hardware_purchase:
        if non_compute:  # what the notice would be without the title's "about compute" object
            kinds = _remote(checked, title_key)
            hw = _hardware(checked, title_purchase, goods, rented)
        _candidate(findings, kinds, hw, checked, chips, non_compute, lex, title_key)
    return findings


# --------------------------------------------------------------------------- possible cases
def _candidate(findings: ComputeFindings, kinds: dict[str, _Decision], hw: _Decision, checked: list[_Checked],
               chips: dict[str, list], non_compute: bool, lex: Lexicon, title_key: str = "") -> None:
    """A possible case: compute evidence that fell short of a case, with the reasons (data/candidates.toml) and the
    sentence behind each. Called only when the notice is neither a case nor a purchase."""
    found: dict[str, list[tuple[float, Sentence, Mention]]] = {}
    title_local = _title_local([c for c in checked if c.sentence.zone == "title"], title_key, lex)

    def add(code: str, pts: float, s: Sentence, m: Mention) -> None:
        found.setdefault(code, []).append((pts, s, m))

    if non_compute:
        for d in [*kinds.values(), hw]:
            for pts, s, m in d.evidence:
                if pts >= STRONG:
                    add("about_compute", pts, s, m)
    else:
        for k in KINDS:
            for pts, s, m in kinds[k].evidence:
                if not 0 < pts < STRONG:
                    continue
                if s.zone == "category":
                    add("compute_category", pts, s, m)
                elif m.label == "PROVIDER":
                    add("provider_paid", pts, s, m)
                elif m.label == "PRODUCT":
                    add("product_named", pts, s, m)
                elif s.zone == "title":
                    add("title_topic", pts, s, m)
                else:
                    add("service_not_acquired", pts, s, m)
        for pts, s, m in hw.evidence:
            if 0 < pts < STRONG:
                add("accelerator_not_bought", pts, s, m)
        for cid in findings.gpu_models:
            found.setdefault("chip_named", []).extend(chips[cid])
        qty = compiled(lex.patterns["compute_quantity"])
        for c in checked:
            s = c.sentence
            if s.weight < 1.0 or s.zone == "title":
                continue
            # a model deployed locally is no possible hosted service
            local = title_local or _local(c, lex)
            # sized compute: a service word (not a cloud topic word: 4个专业…在云端运行) or an accelerator word
            words = [m for m in c.valid if (m.label in ("service", "model_service")
                     or (m.label == "service_weak" and m.kb != "cloud")
                     or (m.label == "accelerator" and _ACCEL_HW.search(norm_key(m.text))))
                     and not (local and "model_api" in m.kb)]
            if words and qty.search(norm_key(s.text)):
                add("compute_quantity", 1.0, s, words[0])
            # a service word of GPU, model or HPC compute in the body (cloud topic words are everywhere: 部署于云端)
            for m in c.valid:
                if m.label in ("service_weak", "model_service") and set(m.kb.split(",")) & {"gpu_rental", "model_api",
                                                                                          "hpc"} \
                        and not (local and "model_api" in m.kb):
                    add("service_not_acquired", 0.5, s, m)
                    break
        for c in checked:  # compute named only where bidders and procedure are described (资格要求 …)
            if c.sentence.zone == "admin":
                for m in c.of("service", "model_service", "INSTANCE", "BILLING_UNIT", "PRODUCT"):
                    add("admin_section_only", 0.5, c.sentence, m)
        specs = [(c, m) for c in checked if c.sentence.weight > 0 for m in c.of("SPEC")]
        if specs and not findings.gpu_models and len(spec_matches([decode_figures(m.kb) for _, m in specs], lex)) > 1:
            for c, m in specs:
                add("spec_several_chips", 1.0, c.sentence, m)
    if not found:
        return
    reasons = [code for code in lex.candidate_reasons if code in found]  # in the data file's order
    scoring = lex.candidate_scoring
    score = max(lex.candidate_reasons[r]["score"] for r in reasons) + scoring["extra"] * (len(reasons) - 1)
    findings.compute_candidate = True
    findings.candidate_score = round(min(score, scoring["max_score"]), 2)
    findings.candidate_reasons = reasons
    for code in reasons:
        findings.evidence += [_evidence(f"candidate:{code}", s, m) for s, m in _best(found[code], 1)]


def _vendor_providers(findings: ComputeFindings, body: DocumentText, fields: Optional[NoticeFields],
                      lex: Lexicon) -> None:
    """A remote-compute notice that names no provider but was won by one of a provider's own selling companies
    (中国移动通信集团广东有限公司 for 云资源服务 → China Mobile Cloud; 北京火山引擎科技有限公司 for a model service →
    Volcano Engine): the winner is the source of the service.
    Only for providers headquartered in China."""
    text = body.text or ""
    for vendor in (fields.vendors if fields else None) or []:
        v = norm_key(vendor)
        for p in lex.providers.values():
            # US providers' Chinese operators (光环新网, 世纪互联) also sell their own IDC and cloud: not derived
            if p.us_headquartered or not any(c and norm_key(c) in v for c in p.companies):
                continue
            if p.id in findings.cloud_providers:
                continue
            findings.cloud_providers.append(p.id)
            i = text.find(vendor)
            if i >= 0:
                findings.evidence.append(Evidence(field=f"cloud_providers:{p.id}", text=vendor, start=i,
                                                  end=i + len(vendor), document=""))
    findings.cloud_providers.sort()


def _vendor_line(field_name: str, vendors: list[str], docs: list[tuple[str, DocumentText]]) -> Optional[Evidence]:
    """The line that names one of `vendors` (成交供应商：…), in the first document that has it."""
    for name, d in docs:
        text = d.text or ""
        for v in vendors:
            i = text.find(v) if v else -1
            if i < 0:
                continue
            start = text.rfind("\n", 0, i) + 1
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            start, end = max(start, i - EVIDENCE_MAX // 2), min(end, max(i + len(v), start + EVIDENCE_MAX))
            while start < i and text[start].isspace():
                start += 1
            return Evidence(field=field_name, text=text[start:end].rstrip(), start=start,
                            end=start + len(text[start:end].rstrip()), document=name)
    return None


def _flags(findings: ComputeFindings, checked, usable, providers, chips, fields, body, lex: Lexicon,
           docs: list[tuple[str, DocumentText]] = ()) -> None:
    flags, ev = [], findings.evidence
    us = [p for p in findings.cloud_providers if lex.providers[p].us_headquartered]
    if us:
        flags.append("us_provider")
        s, m = _best(providers[us[0]], 1)[0]
        ev.append(_evidence("flags:us_provider", s, m))

    day = _notice_date(fields, body)
    controlled = [c for c in findings.gpu_models if lex.controlled(c, day)[0]]
    if controlled and (findings.remote_compute or findings.hardware_purchase):
        flags.append("controlled_chip")
        s, m = _best(chips[controlled[0]], 1)[0]
        ev.append(_evidence("flags:controlled_chip", s, m))

    if findings.remote_compute and findings.cloud_providers:
        words = [(c.sentence.weight, c.sentence, m) for c in usable for m in c.of("intermediary")]
        vendor_is_other = False
        if fields and fields.vendors:
            own = [norm_key(x) for p in findings.cloud_providers
                   for x in lex.providers[p].companies + lex.providers[p].names]
            vendor_is_other = not any(o and o in norm_key(v) for v in fields.vendors for o in own)
        if words or vendor_is_other:
            flags.append("intermediary")
            if words:
                s, m = _best(words, 1)[0]
                ev.append(_evidence("flags:intermediary", s, m))
            else:  # the flag rests on who won: quote the line naming the winning vendor
                ev.append(_vendor_line("flags:intermediary", fields.vendors, docs)
                          or _evidence("flags:intermediary", *_best(providers[findings.cloud_providers[0]], 1)[0]))

    if findings.remote_compute:
        off = [(c.sentence.weight, c.sentence, m) for c in usable for m in c.of("offshore")
               if c.sentence.zone == "title" or (c.sentence.weight >= 1.0 and c.has(
                   *SERVICE, "PROVIDER", "PRODUCT", "INSTANCE", "rental", "BILLING_UNIT", "hardware", "CHIP"))]
        if off:
            flags.append("offshore")
            s, m = _best(off, 1)[0]
            ev.append(_evidence("flags:offshore", s, m))

    if findings.remote_compute or findings.hardware_purchase:
        dom = [(c.sentence.weight, c.sentence, m) for c in usable for m in c.of("domestic_only")]
        if dom:
            flags.append("domestic_only")
            s, m = _best(dom, 1)[0]
            ev.append(_evidence("flags:domestic_only", s, m))
    findings.flags = [f for f in FLAGS if f in flags]
