"""/notices/{id} and /api/notices/{id}: one notice (`notice_data`, from the read model
`storage.reading.read_notice`), shown as a page — its text with the evidence highlighted — or answered as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from storage.evidence import evidence_sentences
from storage.reading import NoticeDetail, read_notice
from storage.screening import notice_hits
from storage.search.vocab import candidate_reason_text
from web import labels
from web.highlight import context, query_hits, render as highlight, resolve
from web.params import MAX_QUERY_CHARS
from web.views.common import base_url, json_response, not_found, page_router, reading, render

router = page_router()
TIMELINE_LIMIT = 100  # notices of one procurement listed
# Fields the page shows with their own line; evidence of any other field is listed under "Other evidence".
SHOWN_FIELDS = ("remote_compute", "hardware_purchase", "compute_kinds", "cloud_providers", "gpu_models", "flags",
                "buyer", "agency", "vendors", "amounts", "published_at", "bid_deadline", "project_codes", "region")


def load(request: Request, notice_id: int) -> NoticeDetail:
    with reading(request) as conn:
        detail = read_notice(conn, notice_id)
    if detail is None:
        raise not_found(f"There is no notice {notice_id}.")
    return detail


def screening(request: Request, notice_id: int) -> dict[str, Any]:
    """Its buyer's, agency's and vendors' screening-list candidates (storage/screening.py)."""
    with reading(request) as conn:
        hits = notice_hits(conn, [notice_id]).get(notice_id, [])
    return {"screened": bool(hits), "screening": hits}


def notice_data(d: NoticeDetail, base: str, *, with_text: bool) -> dict[str, Any]:
    """The notice as the API gives it (datetimes as datetimes; the page formats them, JSON writes ISO 8601)."""
    n = d.notice

    def org(o):
        return {"id": o.id, "name": o.name, "url": f"{base}/orgs/{o.id}"} if o else None

    reasons = list(n["candidate_reasons"] or [])
    return {
        "id": n["id"],
        "title": n["title"],
        "url": n["url"],
        "permalink": f"{base}/notices/{n['id']}",
        "source": n["source"],
        "external_id": n["external_id"],
        "notice_type": n["notice_type"],
        "published_at": n["published_at"],
        "bid_deadline": n["bid_deadline"],
        "region": n["region"],
        "project_code": n["project_code"],
        "procurement_key": n["procurement_key"],
        "buyer": org(d.buyer),
        "agency": org(d.agency),
        "vendors": [org(v) for v in d.vendors],
        "amounts": [{k: a[k] for k in ("kind", "value_cny", "percent", "raw")} for a in d.amounts],
        "remote_compute": bool(n["remote_compute"]),
        "hardware_purchase": bool(n["hardware_purchase"]),
        # A possible case: reason codes, and what each means for a reader.
        "compute_candidate": bool(n["compute_candidate"]),
        "candidate_score": n["candidate_score"],
        "candidate_reasons": reasons,
        "candidate_reason_texts": [candidate_reason_text(r) for r in reasons],
        "compute_kinds": d.facet("kind"),
        "cloud_providers": d.facet("provider"),
        "gpu_models": d.facet("chip"),
        "flags": d.facet("flag"),
        "evidence": d.extraction.get("evidence") or [],
        "extractor_version": n["extractor_version"],
        "first_seen": n["first_seen"],
        "last_seen": n["last_seen"],
        "last_changed": n["last_changed"],
        "raw": f"{base}/notices/{n['id']}/raw" if n["raw_sha256"] else None,
        "text": n["text"] if with_text else None,
        "attachments": [
            {"id": a["id"], "name": a["name"], "url": a["url"], "status": a["status"], "size": a["size"],
             "content_type": a["content_type"], "raw": f"{base}/attachments/{a['id']}/raw" if a["sha256"] else None,
             "format": a["format"], "pages": a["pages"], "ocr": a["ocr"], "members": a["members"],
             "reason": a["error"] if a["status"] != "ok" else None, **({"text": a["text"]} if with_text else {})}
            for a in d.attachments
        ],
        "timeline": [
            {"id": t["id"], "title": t["title"], "notice_type": t["notice_type"], "published_at": t["published_at"],
             "remote_compute": bool(t["remote_compute"]), "url": f"{base}/notices/{t['id']}"}
            for t in (d.procurement[:TIMELINE_LIMIT] if n["procurement_key"] else [])
        ],
        "versions": [{"content_hash": v["content_hash"], "fetched_at": v["fetched_at"]} for v in reversed(d.versions)],
        "links": [{"source": lk["source"], "url": lk["url"]} for lk in d.links],
        "review": d.review,
        "reviews": [
            {"decision": r["decision"], "reviewer": r["reviewer"], "decided_at": r["decided_at"], "note": r["note"],
             "compute_kinds": r["kinds"], "cloud_providers": r["providers"], "gpu_models": r["chips"],
             "extractor_version": r["extractor_version"], "seen": r["seen"]}
            for r in d.reviews
        ],
    }


@router.get("/notices/{notice_id}", response_class=HTMLResponse, include_in_schema=False)
def notice_page(request: Request, notice_id: int):
    d = load(request, notice_id)
    q = request.query_params.get("q", "")[:MAX_QUERY_CHARS]
    data = {**notice_data(d, "", with_text=True), **screening(request, notice_id)}
    return render(request, "notice.html", {**data, **_texts(d, data, q), "hit": data, "back_q": q, "header_q": q})


@router.get("/api/notices/{notice_id}", tags=["notices"], summary="A notice: fields, compute findings, evidence")
def api_notice(request: Request, notice_id: int,
               text: bool = Query(True, description="Include the body and attachment texts")):
    return json_response({**notice_data(load(request, notice_id), base_url(request), with_text=text),
                          **screening(request, notice_id)})


def _texts(d: NoticeDetail, data: dict[str, Any], q: str) -> dict[str, Any]:
    """What the page shows beside the data: the body and attachment texts as HTML with the evidence and the
    search terms marked, and each evidence item with its place (anchor) and context."""
    text = d.notice["text"] or ""
    evidence = d.evidence
    doc, body_annotated = resolve(text, [e for e in evidence if not e.get("document")], "ev")
    attachments, att_annotated = [], []
    for a, shown in zip(d.attachments, data["attachments"]):
        a_ev = [e for e in evidence if e.get("document") and e.get("document") == a["name"]]
        adoc, ann = resolve(a["text"] or "", a_ev, f"att{a['id']}-ev")
        att_annotated += [{**e, "attachment": a["name"]} for e in ann]
        attachments.append({**shown, "html": highlight(a["text"] or "", adoc.spans, labels.field_label,
                                                       query_hits(a["text"] or "", q)), "evidence_count": len(a_ev)})
    # Evidence naming a document that is not stored keeps its text, unanchored.
    names = {a["name"] for a in d.attachments}
    orphan = [{**e, "anchor": None} for e in evidence if e.get("document") and e["document"] not in names]
    all_ev = body_annotated + att_annotated + orphan
    for e in all_ev:
        source = text if not e.get("document") else next(
            (a["text"] for a in d.attachments if a["name"] == e.get("document")), "")
        if e.get("anchor") and source:
            e["before"], e["hit"], e["after"] = context(source, e["start"], e["end"])
        else:
            e["before"], e["hit"], e["after"] = "", e.get("text") or "", ""
    # Each sentence once, with the findings it supports (storage.evidence groups them); each finding refers to
    # its sentences by number instead of repeating them.
    texts = {a["name"]: a["text"] or "" for a in reversed(d.attachments)}
    sentences = []
    for n, group in enumerate(evidence_sentences(all_ev, lambda name: texts.get(name, "") if name else text), 1):
        for e in group.items:
            e["sentence"] = n
        first = group.items[0]
        # Each finding the sentence supports links to its own mark in the text.
        supports = {}
        for e in group.items:
            supports.setdefault(e.get("field") or "", e.get("anchor"))
        sentences.append({"n": n, "text": group.text, "document": group.document, "supports": list(supports.items()),
                          "anchor": first.get("anchor"), "items": group.items})
    by_field: dict[str, list[dict]] = {}
    refs: dict[str, list[dict]] = {}  # field → its sentences, each once: {n, anchor, text}
    for e in all_ev:
        name = (e.get("field") or "").split(":")[0]
        by_field.setdefault(name, []).append(e)
        if e.get("sentence") and all(r["n"] != e["sentence"] for r in refs.get(name, [])):
            s = sentences[e["sentence"] - 1]
            refs.setdefault(name, []).append({"n": s["n"], "anchor": s["anchor"], "text": s["text"]})
    return {
        "sentences": sentences, "refs": refs,
        "body_html": highlight(text, doc.spans, labels.field_label, query_hits(text, q)),
        "attachments": attachments, "by_field": by_field, "evidence": all_ev,
        "unanchored": [e for e in all_ev if not e.get("anchor")],
        "project_codes": d.project_codes, "inherited_flags": set(d.inherited_flags), "shown_fields": SHOWN_FIELDS,
    }
