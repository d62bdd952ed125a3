"""The spaCy pipeline of compute detection: `spacy.blank("zh")` with our jieba tokenizer and rule components whose
patterns are generated from the lexicon data files. Built once per process (`get_nlp()`).

Matching happens on the "key" of the text (`lexicon.norm_key`: full-width folded, Traditional → Simplified,
lower-cased, same length), so one Simplified lexicon entry finds ＡＷＳ, aws, 雲端服務 and 云端服务 alike.

Components, in order (each writes spans into `doc.spans`, never decides anything; the exact character hits are
also kept in ``doc.user_data["hits"]``, since a span widened to token boundaries can swallow a neighbour):

* ``compute_lexicon``  providers, products, chips and every term group → ``doc.spans["compute"]`` (label =
  PROVIDER / PRODUCT / CHIP / group name, ``kb_id_`` = id or kinds): Latin-only entries by PhraseMatcher on token
  LOWER, entries with Chinese characters as substrings (see `LexiconMatcher`). A Latin edge must sit on a word
  boundary (A100 is not in A1000, AWS is not in LAWS).
* ``compute_instances`` cloud instance types that name a chip (p5.48xlarge, ND A100 v4, gn7i) → label INSTANCE,
  ``kb_id_`` = "provider|chip".
* ``compute_quantities`` 8卡, 500台, 8*A100, A100×8 → ``doc.spans["quantity"]`` (label CARDS / SERVERS / CHIP_TIMES,
  ``kb_id_`` = the number).
* ``compute_billing``  billing units (卡时, 元/卡/月, 核时, 万tokens, 元/台/月) → ``doc.spans["billing"]``
  (``kb_id_`` = compute kind).
* ``compute_specs``   accelerator figures (80GB HBM2e, 2039GB/s, 312 TFLOPS FP16, NVLink 600GB/s) in sentences about
  accelerators → ``doc.spans["spec"]`` (``kb_id_`` = the figures). `infer_spec_chip` maps a notice's figures to a
  chip when it names none and exactly one chip of the spec table matches them all.

`gate()` is the prefilter: the classifier runs the pipeline only on lines that contain a trigger word.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Optional

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from extract.compute.lexicon import Lexicon, fold_simplify, load_lexicon, norm_key, trie_regex
from extract.compute.tokenizer import JiebaTokenizer

_ASCII_ALNUM = re.compile(r"[a-z0-9]")


@spacy.registry.tokenizers("tenderwatch.jieba_tokenizer.v1")
def create_jieba_tokenizer():
    """Registered so that a saved pipeline can be loaded with `spacy.load` (user words come from its files)."""

    def make(nlp):
        return JiebaTokenizer(nlp.vocab, load_lexicon().user_words())

    return make


def doc_key(doc: Doc) -> str:
    """The folded, lower-cased text of a Doc, computed once (Doc.text is rebuilt from the tokens on each access)."""
    key = doc.user_data.get("norm_key")
    if key is None:
        key = doc.user_data["norm_key"] = norm_key(doc.text)
    return key


def _boundary_ok(key: str, start: int, end: int) -> bool:
    """An ASCII name must not be glued to letters/digits of the same word: A100 in A1000, L4 in L40, AWS in LAWS.
    Digit→letter is allowed at the end (A100GPU) and a multiplier before (8xA100)."""
    if start > 0 and _ASCII_ALNUM.match(key[start]) and _ASCII_ALNUM.match(key[start - 1]):
        if not (key[start - 1] == "x" and start > 1 and key[start - 2].isdigit()):
            return False
    if end < len(key) and _ASCII_ALNUM.match(key[end - 1]) and _ASCII_ALNUM.match(key[end]):
        if not (key[end - 1].isdigit() and key[end].isalpha()):
            return False
    return True


def _span(doc: Doc, start: int, end: int, label: str, kb_id: str = "", group: str = "compute") -> Span | None:
    """A span for a character hit, widened to token boundaries. The exact hit is kept in doc.user_data["hits"]
    (group, start, end, label, kb_id): what the classifier reads, since a widened span can swallow a neighbour."""
    doc.user_data.setdefault("hits", []).append((group, start, end, label, kb_id))
    return doc.char_span(start, end, label=label, kb_id=kb_id, alignment_mode="expand")


_HAS_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@Language.factory("compute_lexicon")
class LexiconMatcher:
    """Lexicon entries → spans. Two matchers, one result:

    * entries written in Latin letters and digits only (AWS, A100, RTX 4090D, "cloud servers") go to a
      PhraseMatcher on token LOWER: token boundaries keep A100 out of A1000 and RTX 4090 out of RTX 4090D;
    * entries with Chinese characters (云服务器, 算力租赁, 昇腾910B, 亚马逊AWS, Google雲) are found as substrings
      with one trie regex over the folded text, so a term is found whatever jieba does with its neighbours (咨询
      inside the dictionary word 咨询服务, 金山云 in 金山云云服务器, Google雲 in Google雲端: nlp-and-pdf.md §1.2
      item 7); a Latin edge must still sit on a word boundary.

    Where an entry of one group lies strictly inside an entry of another group, the longer one is the word (算力服务
    inside the hardware 算力服务器, 服务器 inside the service 云服务器), except that marker words (rental, negation …)
    inside a service term are kept beside it (租用 in 云服务器租用). A chip or provider name inside a longer one of
    another id is not a mention (RTX 4090 inside RTX 4090 D)."""

    KEEP_INSIDE = {"rental", "service_period", "billing", "offshore", "negation", "purpose", "domestic_only",
                   "intermediary", "unavailable", "accelerator"}

    def __init__(self, nlp: Language, name: str = "compute_lexicon"):
        self.name = name
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        lex = load_lexicon()
        by_id: dict[str, list] = {}
        self.cjk: dict[str, list[tuple[str, str]]] = {}
        for label, key, text in lex.phrase_entries():
            k = norm_key(text)
            if _HAS_CJK.search(k):
                self.cjk.setdefault(k, []).append((label, key))
            else:
                by_id.setdefault(f"{label}|{key}", []).append(text)
        for match_id, texts in by_id.items():
            self.matcher.add(match_id, [nlp.make_doc(t) for t in texts])
        # all substrings, overlapping ones included: a lookahead regex finds every term starting at each position
        self.cjk_rx = re.compile("(?=(" + trie_regex(self.cjk) + "))")
        self.prefixes = {k: [w for w in self.cjk if w != k and k.startswith(w)] for k in self.cjk}

    def _cjk_hits(self, key: str):
        for m in self.cjk_rx.finditer(key):
            word = m.group(1)
            # the regex returns the longest term at a position; shorter terms starting there are hits as well
            for w in [word, *self.prefixes[word]]:
                for label, kb in self.cjk[w]:
                    yield m.start(), m.start() + len(w), label, kb

    def __call__(self, doc: Doc) -> Doc:
        key = doc_key(doc)
        strings = doc.vocab.strings
        hits = []
        for match_id, s, e in self.matcher(doc):
            span = doc[s:e]
            if _boundary_ok(key, span.start_char, span.end_char):
                label, kb = strings[match_id].split("|", 1)
                hits.append((span.start_char, span.end_char, label, kb))
        hits += [h for h in self._cjk_hits(key) if _boundary_ok(key, h[0], h[1])]
        spans = []
        for h in self._resolve(hits):
            span = _span(doc, h[0], h[1], h[2], h[3])
            if span is not None:
                spans.append(span)
        doc.spans["compute"] = spans
        return doc

    def _resolve(self, hits):
        hits = sorted(set(hits), key=lambda h: (h[0], -(h[1] - h[0])))
        # Only a hit starting within the longest hit's length before h can contain h: looking at just
        # those keeps a long notice linear (comparing every pair took minutes on a 400,000-character text).
        starts = [o[0] for o in hits]
        longest = max((o[1] - o[0] for o in hits), default=0)
        out = []
        for h in hits:
            near = hits[bisect.bisect_left(starts, h[1] - longest):bisect.bisect_right(starts, h[0])]
            inside = any(o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
                         and ((o[2] != h[2] and not (h[2] in self.KEEP_INSIDE and o[2] != "trap"))
                              or (o[2] == h[2] and o[2] in ("CHIP", "PROVIDER") and o[3] != h[3]))
                         for o in near)
            if not inside:
                out.append(h)
        return out


@Language.factory("compute_instances")
class InstanceMatcher:
    def __init__(self, nlp: Language, name: str = "compute_instances"):
        self.name = name
        lex = load_lexicon()
        self.patterns = [(re.compile(r"(?<![a-z0-9])(?:" + i.pattern + ")"), f"{i.provider}|{i.chip}")
                         for i in lex.instances]

    def __call__(self, doc: Doc) -> Doc:
        key = doc_key(doc)
        group = list(doc.spans.get("compute", []))
        for rx, kb in self.patterns:
            for m in rx.finditer(key):
                span = _span(doc, m.start(), m.end(), "INSTANCE", kb)
                if span is not None:
                    group.append(span)
        doc.spans["compute"] = group
        return doc


@Language.factory("compute_quantities")
class QuantityMatcher:
    def __init__(self, nlp: Language, name: str = "compute_quantities"):
        self.name = name
        lex = load_lexicon()
        pats = lex.patterns
        # "8*A100" only when the starred word is a chip name (1200*760*1180mm and 200cmX90cm are furniture)
        self.chip_keys = {norm_key(n).replace(" ", "") for c in lex.chips.values() for n in c.names}
        self.rules = [
            ("CARDS", re.compile(pats["card_count"])),
            ("SERVERS", re.compile(pats["server_count"])),
            ("CHIP_TIMES", re.compile(pats["times_chip"])),
            ("CHIP_TIMES", re.compile(pats["chip_times"])),
        ]

    def __call__(self, doc: Doc) -> Doc:
        key = doc_key(doc)
        spans = []
        for label, rx in self.rules:
            for m in rx.finditer(key):
                if label == "CHIP_TIMES" and m.group("chip").replace(" ", "") not in self.chip_keys:
                    continue
                span = _span(doc, m.start(), m.end(), label, m.group("n"), "quantity")
                if span is not None:
                    spans.append(span)
        doc.spans["quantity"] = spans
        return doc


# a number written in Chinese right before a unit (一亿tokens, 五百万核时)
_CN_NUMBER = re.compile(r"[一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]{2,}\s*[^一二两三四五六七八九十百千万亿]?$"
                        r"|[二两三四五六七八九十百千万亿]\s*[^一二两三四五六七八九十百千万亿]?$")


@Language.factory("compute_billing")
class BillingMatcher:
    def __init__(self, nlp: Language, name: str = "compute_billing"):
        self.name = name
        self.rules = [(u["kind"], re.compile(u["pattern"])) for u in load_lexicon().patterns["billing_units"]]

    def __call__(self, doc: Doc) -> Doc:
        key = doc_key(doc)
        spans = []
        for kind, rx in self.rules:
            for m in rx.finditer(key):
                # A unit is a billing unit when a number is next to it (4000万tokens, 0.045元/核时), not the word alone.
                before = key[max(0, m.start() - 12):m.start()]
                if not (re.search(r"\d", before) or "元" in m.group(0) or _CN_NUMBER.search(before + m.group(0)[:1])):
                    continue
                span = _span(doc, m.start(), m.end(), "BILLING_UNIT", kind, "billing")
                if span is not None:
                    spans.append(span)
        doc.spans["billing"] = spans
        return doc


# --------------------------------------------------------------------------- chips described by specifications
_SPEC_SENTENCE = re.compile(r"[^\n。；;]+")
_SPEC_CONTEXT = re.compile(r"(?i)gpu|加速卡|显存|顯存|单卡|卡间|nvlink|tensor|算力卡|计算卡|训练卡|推理卡|accelerator|cuda|显卡")
# Units are read case-sensitively on the folded text: GB/s is memory or NVLink, Gb/s is a network port.
_BW = r"(\d+(?:\.\d+)?)\s*([GT]B/s|[GT]Bps)"
_FIGURES = {
    # "显存容量80GB HBM2e", "80GB HBM3e", "80GB显存", "memory 80 GB"
    # Taiwan's 記憶體 (folded 记忆体) is also the host's RAM: only as a card's (單卡記憶體 48GB)
    "memory_gb": re.compile(r"(?i)(?:显存|顯存|memory|(?:单卡|每卡|gpu|显卡)\s*记忆体)[^0-9\n]{0,8}(\d{1,3})\s*GB(?!/s|ps)"
                            r"|(\d{1,3})\s*GB\s*(?:HBM|GDDR|显存|顯存)"),
    # "CUDA核心数≥10752", "CUDA cores: 16384", "16384个CUDA核心"
    "cuda_cores": re.compile(r"(?i)cuda\s*(?:核心|核|cores?|處理器|处理器)[^0-9\n]{0,10}(\d{1,2},?\d{3})"
                             r"|(\d{1,2},?\d{3})\s*(?:个|個)?\s*cuda"),
    "memory_type": re.compile(r"(?i)(HBM3e|HBM3|HBM2e|HBM2|GDDR6X|GDDR6|GDDR7)"),
    # memory bandwidth only when named as such: a bare 带宽 is as often NVLink, network or storage
    "bandwidth_gbs": re.compile(r"(?i)(?:显存带宽|显存频宽|记忆体频宽|记忆体带宽|内存带宽|memory bandwidth|HBM带宽)"
                               r"[^0-9\n]{0,8}?" + _BW),
    "fp16_tflops": re.compile(r"(?i)(?:FP16|BF16|半精度)[^0-9\n]{0,24}?(\d+(?:\.\d+)?)\s*T(?:FLOPS)?(?![a-z])"
                              r"|(\d+(?:\.\d+)?)\s*TFLOPS\s*[(（]?\s*(?:FP16|BF16)"),
    "tf32_tflops": re.compile(r"(?i)TF32[^0-9\n]{0,24}?(\d+(?:\.\d+)?)\s*TFLOPS"),
    "fp8_tflops": re.compile(r"(?i)FP8[^0-9\n]{0,24}?(\d+(?:\.\d+)?)\s*TFLOPS"),
    # "NVLink互联带宽600GB/s", "卡间互联带宽600GB/s", "600GB/s NVLink"
    "nvlink_gbs": re.compile(r"(?i)(?:NVLink|卡间互联|卡间带宽|卡間互聯)[^0-9\n]{0,12}?" + _BW
                             + r"|" + _BW + r"\s*[(（]?\s*NVLink"),
}


FIGURE_NAMES = tuple(_FIGURES)  # the figures a chip's `specs` may give (accelerators.toml)


def spec_figures(text: str) -> dict:
    """Accelerator figures stated in `text` (folded, case kept), e.g. {"memory_gb": 80.0, "memory_type": "hbm2e"}."""
    out: dict = {}
    for name, rx in _FIGURES.items():
        m = rx.search(text)
        if not m:
            continue
        groups = [g for g in m.groups() if g]
        if name == "memory_type":
            out[name] = groups[0].lower()
            continue
        value = float(groups[0].replace(",", ""))
        if len(groups) > 1 and groups[1].upper().startswith("TB"):
            value *= 1000
        out[name] = value
    return out


# How far a stated figure may lie from the published one: memory sizes and core counts are exact (141 GB is not
# GH200's 144 GB), compute within 1 % (rounding: 989.4 → 989), bandwidth within 3 % (2 TB/s for 2,039 GB/s).
_TOLERANCE = {"memory_gb": 0.005, "cuda_cores": 0.005, "fp16_tflops": 0.01, "tf32_tflops": 0.01, "fp8_tflops": 0.01}


def match_spec(figures: dict, lexicon: Lexicon) -> list[str]:
    """Chip ids with a published variant agreeing with every figure (see _TOLERANCE; other numbers within 3 %)."""
    hits = []
    for chip in lexicon.chips.values():
        for variant in chip.specs:
            ok = True
            for name, value in figures.items():
                if name not in variant:
                    ok = False
                    break
                ref = variant[name]
                if isinstance(value, str):
                    ok = ref.lower() == value
                else:
                    ok = abs(float(ref) - value) <= _TOLERANCE.get(name, 0.03) * float(ref)
                if not ok:
                    break
            if ok:
                hits.append(chip.id)
                break
    return hits


def encode_figures(figures: dict) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(figures.items()))


def decode_figures(kb: str) -> dict:
    out: dict = {}
    for part in kb.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v if k == "memory_type" else float(v)
    return out


def spec_matches(figure_sets: list[dict], lexicon: Lexicon) -> list[str]:
    """Chips whose published specs agree with all the figures of a document. Needs a compute, bandwidth or core-count
    figure and one more (memory size alone fits half the table), else []."""
    figures: dict = {}
    for f in figure_sets:
        for k, v in f.items():
            figures.setdefault(k, v)
    numeric = {k for k in figures if k not in ("memory_type", "memory_gb")}
    if not numeric or len(figures) < 2:
        return []
    return match_spec(figures, lexicon)


def infer_spec_chip(figure_sets: list[dict], lexicon: Lexicon) -> Optional[str]:
    """The one chip whose published specs agree with all the figures of a document (VOCAB: exactly one), else None."""
    hits = spec_matches(figure_sets, lexicon)
    return hits[0] if len(hits) == 1 else None


@Language.factory("compute_specs")
class SpecMatcher:
    """Accelerator figures in sentences about accelerators → SPEC spans (kb_id = encoded figures). Whether they
    add up to one chip is decided per notice (figures sit in separate table rows), by `infer_spec_chip`."""

    def __init__(self, nlp: Language, name: str = "compute_specs"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for m in _SPEC_SENTENCE.finditer(fold_simplify(doc.text)):
            sent = m.group(0)
            if not _SPEC_CONTEXT.search(sent):
                continue
            found = spec_figures(sent)
            if not found:
                continue
            span = _span(doc, m.start(), m.end(), "SPEC", encode_figures(found), "spec")
            if span is not None:
                spans.append(span)
        doc.spans["spec"] = spans
        return doc


def _gate_words(labels: tuple[str, ...]) -> set[str]:
    lex = load_lexicon()
    words = {norm_key(text) for label, _key, text in lex.phrase_entries() if label in labels}
    return words | {norm_key(w) for w in lex.patterns["gate_extra"]}


_CORE = ("PROVIDER", "PRODUCT", "CHIP", "service", "service_weak", "model_service", "hardware", "accelerator")


@lru_cache(maxsize=1)
def gate() -> re.Pattern:
    """One regex of every word that can start a decision (service, provider, chip, hardware, accelerator words,
    billing units, instance types, spec words). A document without any of them cannot be a case, so most
    procurement notices never reach jieba."""
    return re.compile(trie_regex(_gate_words(_CORE)))


@lru_cache(maxsize=1)
def line_gate() -> re.Pattern:
    """Which lines of a document that passed `gate()` go through the pipeline: the trigger words, plus the words of
    the flags (境外, 代理商, 拒绝进口 …) and of negation, which may stand on a line of their own."""
    extra = ("offshore", "intermediary", "domestic_only", "negation", "non_compute", "unavailable", "api_usage",
             "concurrency", "local_deploy", "saas", "topic")
    return re.compile(trie_regex(_gate_words(_CORE + extra)))


def build_nlp() -> Language:
    lex = load_lexicon()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "tenderwatch.jieba_tokenizer.v1"}}})
    nlp.tokenizer = JiebaTokenizer(nlp.vocab, lex.user_words())
    nlp.max_length = 20_000_000  # the tokenizer is linear; long tender PDFs are fine
    for name in ("compute_lexicon", "compute_instances", "compute_quantities", "compute_billing", "compute_specs"):
        nlp.add_pipe(name)
    return nlp


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The process's pipeline (jieba's dictionary and the patterns are loaded once)."""
    return build_nlp()
