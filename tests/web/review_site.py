"""The review site for the tests: the web corpus plus two possible cases (candidates), a reviewer, and
`create_app(review=True)` served over HTTP; helpers to sign in and post forms as a browser does."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

import web_corpus as corpus
from extract.fields.dates import read_when
from extract.types import ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
from storage.processing import RawNotice

USER, PASSWORD = "anna", "correct horse battery staple"
# Older than every case of the corpus: the queue puts them first although date order would put them last.
CANDIDATES = {
    "candidate_new": ("东湖实验室智能计算服务采购询价公告", "采购智能计算服务，具体以需求为准。", "2023-05-02"),
    "candidate_old": ("南岭学院算力服务采购意向公开", "拟采购算力服务一批。", "2023-02-11"),
}


def build(database_url: str, blob_dir: Path) -> dict[str, int]:
    from storage.review import ReviewWriter
    from storage.store import Store

    with Store.open(database_url, blob_dir=blob_dir) as store:
        ids = corpus.fill(store)
        for key, (title, text, day) in CANDIDATES.items():
            extraction = NoticeExtraction(
                fields=NoticeFields(notice_type="tender", title=title, published_at=read_when(day)),
                compute=ComputeFindings(compute_candidate=True, candidate_score=0.5,
                                        candidate_reasons=["a compute service without a provider or billing"]),
                extractor_version="webtest-1",
            )
            raw = RawNotice(source="ccgp", url=f"https://www.ccgp.gov.cn/cggg/{key}.htm",
                            data=f"<html><body><h1>{title}</h1><p>{text}</p></body></html>".encode(),
                            content_type="text/html; charset=utf-8", name=f"{key}.htm",
                            list_meta={"title": title, "published_at": day})
            body = DocumentText(text=text, kind="html", title=title, encoding="utf-8")
            ids[key] = store.save_notice(raw, body, [], extraction).notice_id
    with ReviewWriter.open(database_url) as writer:
        writer.add_user(USER, PASSWORD)
    return ids


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]*)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def sign_in(http: httpx.Client, password: str = PASSWORD, name: str = USER) -> httpx.Response:
    token = csrf_of(http.get("/login").text)
    return http.post("/login", data={"csrf": token, "name": name, "password": password, "next": "/review"})


def reviews_of(database_url: str, notice_id: int) -> list[dict]:
    from storage.db import make_engine
    from storage.review import history

    engine = make_engine(database_url, read_only=True)
    try:
        with engine.connect() as conn:
            return history(conn, notice_id)
    finally:
        engine.dispose()
