"""Links the site makes from scraped URLs (the original notice, its attachments, its republications) are
only ever http(s): a `javascript:` or `data:` URL a page carried is shown as text, never made a link."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from extract.types import DocumentText
from storage.store import Store
from web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))  # the storage tests' notice builder
from storage_helpers import Spec, extraction, raw_notice  # noqa: E402

HOSTILE = ("javascript:alert(document.cookie)//x.pdf", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>")


def test_a_scraped_url_that_is_not_http_is_never_a_link(tmp_path):
    url = f"sqlite:///{tmp_path / 'links.db'}"
    spec = Spec(key="a", title="云服务采购公告", body="采购人：蜀江大学。", buyer="蜀江大学",
                attachments=[("采购需求.pdf", "云服务"), ("附件二.pdf", "算力"), ("附件三.pdf", "GPU")])
    raw = raw_notice(spec)
    raw = replace(raw, attachments=[replace(a, url=u) for a, u in zip(raw.attachments, HOSTILE)])
    with Store.open(url, blob_dir=tmp_path / "raw") as store:
        body = DocumentText(text=spec.body, kind="html", title=spec.title)
        docs = [(a, DocumentText(text=a.data.decode("utf-8"), kind="text", name=a.name)) for a in raw.attachments]
        nid = store.save_notice(raw, body, docs, extraction(spec)).notice_id
    html = TestClient(create_app(url)).get(f"/notices/{nid}").text
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript):", h, re.I)], hrefs
    assert "alert(document.cookie)" in html  # still shown, as text, for a person to see what the page said
