"""The evidence sentence a digest or export shows for a notice."""

from datetime import datetime

from storage.evidence import MAX_EVIDENCE, sentence_around
from storage.exports.records import NoticeRecord

TEXT = "一、项目概况\n本项目租用GPU算力服务器8台。服务期一年；预算50万元。"


def record(evidence, title="某大学算力租赁服务采购公告", text=TEXT) -> NoticeRecord:
    return NoticeRecord(
        id=1, source="ccgp", url="http://example.org/1", external_id=None, title=title, notice_type="tender",
        published_at=None, bid_deadline=None, region=None, project_code=None, procurement_key=None,
        first_seen=datetime(2026, 11, 16), last_changed=datetime(2026, 11, 16), content_hash="0" * 64,
        extractor_version="t", remote_compute=True, hardware_purchase=False, evidence=evidence, text=text,
    )


def ev(field, text, start, document=""):
    return {"field": field, "text": text, "start": start, "end": start + len(text), "document": document}


def test_the_sentence_around_a_match():
    i = TEXT.index("GPU算力")
    assert sentence_around(TEXT, i, i + 5, "GPU算力") == "本项目租用GPU算力服务器8台。"
    # Offsets that do not point at the evidence text (a stale extraction): the text itself, never a wrong cut.
    assert sentence_around(TEXT, 0, 5, "GPU算力") == "GPU算力"
    long = "甲" * 300 + "GPU" + "乙" * 300
    cut = sentence_around(long, 300, 303, "GPU")
    assert cut.startswith("…") and cut.endswith("…") and "GPU" in cut and len(cut) <= MAX_EVIDENCE
    assert len(sentence_around("", None, None, "字" * 500)) == MAX_EVIDENCE


def test_compute_evidence_is_preferred_to_field_evidence_and_to_the_title():
    title = "某大学算力租赁服务采购公告"
    text = title + "\n" + TEXT
    r = record([
        ev("buyer", "某大学", 0),
        ev("remote_compute", title, 0),  # the extractor often cites the title first
        ev("cloud_providers:aws", "GPU算力服务器", text.index("GPU算力服务器")),
        ev("remote_compute", "租用GPU算力服务器8台", text.index("租用GPU")),
    ], title=title, text=text)
    # remote_compute ranks first, but its title sentence says nothing the reader does not already see.
    assert r.evidence_sentence() == "本项目租用GPU算力服务器8台。"
    only_title = record([ev("remote_compute", title, 0)], title=title, text=text)
    assert only_title.evidence_sentence() == title
    assert record([ev("buyer", "某大学", 0)]).evidence_sentence() is None


def test_evidence_in_an_attachment_is_read_from_the_attachment():
    att = "技术要求：采购阿里云GPU云服务器资源。"
    r = record([ev("remote_compute", "阿里云GPU云服务器", att.index("阿里云"), "需求.pdf")])
    r.attachments = [{"name": "需求.pdf", "text": att}]
    assert r.evidence_sentence() == "技术要求：采购阿里云GPU云服务器资源。"


def test_a_heading_is_not_quoted_when_a_sentence_of_the_evidence_says_more():
    """Issue 16: the digest quoted "> 大模型API服务采购需求" (a heading) instead of the sentence."""
    text = "二、大模型API服务采购需求\n采购内容：调用大模型API服务，按tokens结算，服务期一年。"
    second = text.index("调用") + 2
    r = record([ev("remote_compute", "大模型API服务", 2), ev("compute_kinds:model_api", "大模型API服务", second)],
               text=text)
    assert r.evidence_sentence() == "采购内容：调用大模型API服务，按tokens结算，服务期一年。"
    # A heading is still quoted when nothing better rests on the evidence.
    assert record([ev("remote_compute", "大模型API服务", 2)], text=text).evidence_sentence() == "二、大模型API服务采购需求"


def test_a_labelled_line_naming_the_project_counts_as_the_title():
    title = "江汉智算中心算力租赁服务采购项目更正公告"
    text = "采购项目名称：江汉智算中心算力租赁服务采购项目\nGPU型号要求：NVIDIA A800 80GB或H800 80GB。"
    r = record([ev("remote_compute", "江汉智算中心算力租赁服务", 7), ev("gpu_models:nvidia-a800", "A800", text.index("A800"))],
               title=title, text=text)
    assert r.evidence_sentence() == "GPU型号要求：NVIDIA A800 80GB或H800 80GB。"
