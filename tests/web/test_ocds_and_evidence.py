"""Issue 16 items 5 and 6 on the site: the OCDS extension the exports declare is served where its URL says,
and the notice page lists each evidence sentence once, with the findings it supports."""

import json
import re
from html import unescape
from urllib.parse import urljoin

from storage.exports.ocds import EXTENSION_SCHEMA, extension_url


def test_the_declared_extension_resolves_with_its_schema_and_documentation(site):
    url = extension_url(site.url)  # what `tenderwatch export --public-url <site>` declares
    response = site.http.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    meta = response.json()
    assert meta["name"]["en"] and meta["compatibility"] == ["1.1"]
    # extension.json names its schemas relative to itself, as OCDS tools read them.
    [schema_name] = meta["schemas"]
    schema = site.http.get(urljoin(url, schema_name))
    assert schema.status_code == 200 and schema.json() == json.loads(EXTENSION_SCHEMA.read_text(encoding="utf-8"))
    docs = site.http.get(meta["documentationUrl"]["en"])
    assert docs.status_code == 200 and "remoteCompute" in docs.text


def test_the_notice_page_lists_each_evidence_sentence_once_with_the_findings_it_supports(site):
    html = site.get(f"/notices/{site.ids['aws_tender']}").text
    block = re.search(r'<ol class="evidence-sentences".*?</ol>', html, re.S).group(0)
    items = re.findall(r'<li id="ev-s(\d+)".*?</li>', block, re.S)
    sentences = [unescape(re.sub(r"<[^>]+>", "", s)).split("supports:")[0].strip()
                 for s in re.findall(r'<li id="ev-s\d+".*?(<a class="evref".*?</a>|<span class="evref.*?</span>)',
                                     block, re.S)]
    assert items and len(sentences) == len(set(sentences)) == len(items)
    # A sentence that several findings rest on names them all once, instead of being repeated under each.
    supports = re.findall(r'<span class="supports">supports: (.*?)</span>', block, re.S)
    assert any(s.count("evref-field") > 1 for s in supports)
    # The findings refer to the sentences by number.
    assert re.search(r'class="evref evnum"[^>]*>evidence 1</a>', html)
