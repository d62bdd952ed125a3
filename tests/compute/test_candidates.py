"""Possible cases (issue 12 item 2): a notice whose compute evidence falls short of a case is a candidate, with a
score and reason codes (extract/compute/data/candidates.toml) each backed by a `candidate:<code>` sentence; a case
or a purchase is never a candidate; every case becomes at least a candidate when its acquisition cues are removed."""

import re

import pytest

from compute_helpers import notice
from extract.compute.lexicon import load_lexicon, norm_key, trie_regex
from extract.documents import read_document
from extract.pipeline import extract_notice
from test_redteam import CASES, pdf_bytes

LEX = load_lexicon()


def test_every_reason_code_has_wording_and_a_score_below_a_case():
    assert LEX.candidate_reasons
    for code, r in LEX.candidate_reasons.items():
        assert re.fullmatch(r"[a-z_]+", code)
        assert len(r["text"]) > 20 and 0 < r["score"] < 1
    assert LEX.candidate_scoring["max_score"] < 1


def test_a_reason_code_reads_as_its_wording_and_an_unknown_code_as_itself():
    from extract.compute import candidate_reason_text

    assert candidate_reason_text("chip_named") == LEX.candidate_reasons["chip_named"]["text"]
    assert candidate_reason_text("retired_code") == "retired_code"


@pytest.mark.parametrize("code, text", [
    ("service_not_acquired", "某单位业务系统升级项目\n升级后业务系统迁移至云服务器运行。"),
    ("compute_category", "某单位数据治理项目\n品目：服务/信息技术服务/云计算服务 采购单位：某单位"),
    ("provider_paid", "某单位年度信息化运行项目\n包括阿里云账户续费。"),
    ("product_named", "某研究院实验管理项目\n实验记录与Amazon SageMaker对接。"),
    ("title_topic", "某职业学院云计算实训室家具采购项目\n采购课桌椅60套。"),
    ("accelerator_not_bought", "某大学实验室管理项目\n实验室GPU服务器由信息中心统一管理。"),
    ("chip_named", "某研究院算法优化服务项目\n基于NVIDIA A100平台优化模型推理性能。"),
    ("spec_several_chips", "某实验室算力需求调研项目\n调研对象：单卡显存48GB GDDR6，FP8算力733 TFLOPS的加速卡。"),
    ("about_compute", "某单位云资源服务测评项目\n测评对象：租用的云服务器60台，服务期一年。"),
    ("admin_section_only", "某局办公系统升级项目\n三、申请人的资格要求：投标人须具有云服务商资格，可提供GPU云服务器。"),
])
def test_evidence_short_of_a_case_makes_a_candidate_with_its_reason(code, text):
    f = notice(text)
    assert not f.remote_compute and not f.hardware_purchase
    assert f.compute_candidate and code in f.candidate_reasons, f.candidate_reasons
    assert 0 < f.candidate_score < 1
    ev = [e for e in f.evidence if e.field == f"candidate:{code}"]
    assert ev and ev[0].text in text


def test_more_reasons_score_higher():
    one = notice("某大学实验室管理项目\n实验室GPU服务器由信息中心统一管理。")
    two = notice("某大学实验室管理项目\n实验室配有8台NVIDIA A100 GPU服务器，由信息中心统一管理。")
    assert one.compute_candidate and two.compute_candidate
    assert len(two.candidate_reasons) > len(one.candidate_reasons) and two.candidate_score > one.candidate_score


@pytest.mark.parametrize("text", [
    "某单位办公家具采购项目\n采购办公桌椅120套，交货后安装。",
    "某局业务系统开发项目\n本项目不涉及云资源租用，系统部署于采购人自有机房。",
    "某市政府采购云平台操作指南\n政采云服务热线：400-881-7190",
])
def test_notices_without_compute_evidence_are_not_candidates(text):
    f = notice(text)
    assert not f.compute_candidate and f.candidate_score == 0 and f.candidate_reasons == []


def _run(case: dict, text: str):
    fmt = case.get("format", "txt")
    data = pdf_bytes(text) if fmt == "pdf" else text.encode("utf-8")
    return extract_notice(read_document(data, name=f"{case['id']}.{fmt}")).compute


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_candidate_is_never_a_case_or_a_purchase(case):
    c = _run(case, case["text"])
    assert not (c.compute_candidate and (c.remote_compute or c.hardware_purchase))
    if not c.compute_candidate:
        assert c.candidate_score == 0 and c.candidate_reasons == []


def _cue_regex() -> re.Pattern:
    """Every word that makes compute *acquired*: rental, service-period, billing, purchase and goods words, call-count
    cues, the purchase verbs and billing units. Removing them leaves what the notice names, not that it is bought."""
    groups = ("rental", "service_period", "billing", "purchase", "goods", "api_usage")
    words = [norm_key(t) for g in LEX.groups if g.name in groups for t in g.terms]
    words += ["采购", "购置", "购买", "购入", "新购", "订购", "purchase", "procurement", "supply", "acquisition"]
    # a billing unit with its number (600万核时, 0.045元/核时); the bare word (机时 in 科学计算机时服务) names the service
    units = [r"\d[\d.,]*\s*(?:万|萬|百万|亿|億|千)?\s*(?:" + u["pattern"] + ")" for u in LEX.patterns["billing_units"]]
    owned = [LEX.patterns["supplier_owned"], LEX.patterns["buyer_owned"]]
    return re.compile("|".join([trie_regex(words), *owned, *units]))


def without_cues(text: str) -> str:
    key = norm_key(text)
    out, pos = [], 0
    for m in _cue_regex().finditer(key):
        out.append(text[pos:m.start()])
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


POSITIVES = [c for c in CASES if c["remote_compute"] or c["hardware_purchase"]]


def test_the_perturbation_removes_a_cue_from_most_cases():
    changed = [c["id"] for c in POSITIVES if without_cues(c["text"]) != c["text"]]
    assert len(changed) >= 0.9 * len(POSITIVES)


@pytest.mark.parametrize("case", POSITIVES, ids=[c["id"] for c in POSITIVES])
def test_a_red_team_case_without_its_acquisition_cues_is_still_at_least_a_candidate(case):
    weakened = without_cues(case["text"])  # unchanged for a case made by its service term alone (GPU-as-a-Service)
    c = _run(case, weakened)
    assert c.remote_compute or c.hardware_purchase or c.compute_candidate, weakened


@pytest.mark.shared
def test_visible_and_real_cases_without_their_acquisition_cues_are_still_at_least_candidates(shared_dir):
    import json

    bench = shared_dir / "benchmarks"
    gold = [json.loads(line) for line in (bench / "compute-cases" / "gold.jsonl").read_text().splitlines() if line]
    paths = [bench / "compute-cases" / g["file"] for g in gold if g["remote_compute"] or g["hardware_purchase"]]
    paths += [bench / "bidagent-gold" / "texts" / f"{n}.txt" for n in ("w5_award_036", "w5_tender_046")]
    missed = []
    for p in paths:
        doc = read_document(p.read_bytes(), name=p.name)
        doc.text = without_cues(doc.text)
        c = extract_notice(doc).compute
        if not (c.remote_compute or c.hardware_purchase or c.compute_candidate):
            missed.append(p.name)
    assert len(paths) > 20 and missed == []


@pytest.mark.shared
def test_real_notices_are_rarely_candidates(shared_dir):
    root = shared_dir / "benchmarks" / "bidagent-gold" / "texts"
    found = [extract_notice(read_document(p.read_bytes(), name=p.name)).compute for p in sorted(root.iterdir())]
    candidates = [c for c in found if c.compute_candidate]
    assert len(found) == 598
    assert len(candidates) <= 0.02 * len(found)
    assert all(not (c.remote_compute or c.hardware_purchase) for c in candidates)
