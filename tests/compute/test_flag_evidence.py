"""Every flag carries the sentence it rests on (issue 18 item 13): a `flags:<name>` evidence whose text stands at its
offsets in its document, for every notice of every benchmark set (red-team, the visible compute set, the 598 real)."""

import json

import pytest

from compute_helpers import notice
from extract.documents import read_document
from extract.pipeline import extract_notice
from test_redteam import CASES, pdf_bytes


def assert_every_flag_has_its_sentence(extraction, doc_texts: dict[str, str]) -> None:
    c = extraction.compute
    for flag in c.flags:
        ev = [e for e in c.evidence if e.field == f"flags:{flag}"]
        assert ev, f"flag {flag} without evidence"
        for e in ev:
            assert e.text.strip()
            assert doc_texts[e.document][e.start:e.end] == e.text, (flag, e)
    # and no evidence for a flag that is not set
    assert {e.field.split(":", 1)[1] for e in c.evidence if e.field.startswith("flags:")} <= set(c.flags)


def test_intermediary_by_the_winner_quotes_the_winners_line():
    text = ("某大学科研云服务采购项目成交公告\n成交供应商：成都某云联信息技术有限公司\n"
            "采购内容：开通AWS账号并充值，用于EC2 GPU实例，服务期12个月。")
    f = notice(text, vendors=["成都某云联信息技术有限公司"])
    assert "intermediary" in f.flags
    ev = [e for e in f.evidence if e.field == "flags:intermediary"]
    assert ev and "成都某云联信息技术有限公司" in ev[0].text and text[ev[0].start:ev[0].end] == ev[0].text


def _texts(doc) -> dict[str, str]:
    return {"": doc.text, **{a.name: a.text for a in doc.parts}}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_flag_of_a_red_team_notice_has_its_sentence(case):
    fmt = case.get("format", "txt")
    data = pdf_bytes(case["text"]) if fmt == "pdf" else case["text"].encode("utf-8")
    doc = read_document(data, name=f"{case['id']}.{fmt}")
    assert_every_flag_has_its_sentence(extract_notice(doc), _texts(doc))


@pytest.mark.shared
def test_every_flag_of_the_visible_and_real_sets_has_its_sentence(shared_dir):
    bench = shared_dir / "benchmarks"
    gold = [json.loads(line) for line in (bench / "compute-cases" / "gold.jsonl").read_text().splitlines() if line]
    paths = [bench / "compute-cases" / g["file"] for g in gold]
    paths += sorted((bench / "bidagent-gold" / "texts").iterdir())
    flagged = 0
    for p in paths:
        doc = read_document(p.read_bytes(), name=p.name)
        x = extract_notice(doc)
        flagged += bool(x.compute.flags)
        assert_every_flag_has_its_sentence(x, _texts(doc))
    assert flagged >= 15  # the visible set's intermediary, US-provider, offshore and controlled-chip cases
