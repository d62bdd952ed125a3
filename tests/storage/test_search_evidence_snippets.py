"""Issue 16 item 5: a search hit shows the sentence that makes the notice a case (the query hit marked when
that sentence holds one), not the page header most notices open with."""

from click.testing import CliRunner

from storage.search import SearchQuery
from storage.search.query import parse_query
from storage.search.snippets import evidence_snippet
from storage.store import Store
from tenderwatch.cli import main

HEADER = "发布时间：2026-11-16 来源：中国政府采购网 公告概要：蜀江大学算力服务采购项目公开招标公告\n"
BODY = (HEADER + "一、项目基本情况\n项目名称：蜀江大学算力服务采购项目\n采购需求：\n"
        "本项目租用阿里云GPU云服务器8台，用于大模型训练，服务期一年。\n"
        "二、申请人的资格要求：满足《中华人民共和国政府采购法》第二十二条规定。\n")


def ev(field, text, document=""):
    start = BODY.index(text)
    return {"field": field, "text": text, "start": start, "end": start + len(text), "document": document}


def test_the_snippet_is_the_evidence_sentence_with_the_query_hit_marked():
    evidence = [ev("buyer", "蜀江大学"), ev("remote_compute", "租用阿里云GPU云服务器"),
                ev("cloud_providers:alibaba-cloud", "阿里云")]
    snippet = evidence_snippet(evidence, "蜀江大学算力服务采购项目公开招标公告", {"": BODY},
                               parse_query("GPU").positive_terms)
    assert snippet.text == "本项目租用阿里云GPU云服务器8台，用于大模型训练，服务期一年。"
    assert [p.text for p in snippet.parts if p.hit] == ["GPU"] and "<mark>GPU</mark>" in snippet.html
    # Without a query (a filtered list): the same sentence, nothing marked.
    plain = evidence_snippet(evidence, "title", {"": BODY}, [])
    assert plain.text == snippet.text and not any(p.hit for p in plain.parts)
    # Field evidence alone (no compute finding) gives no evidence snippet: the hit window is used instead.
    assert evidence_snippet(evidence[:1], "title", {"": BODY}, []) is None


def test_a_heading_is_passed_over_for_the_sentence_that_says_what_is_bought():
    text = "二、大模型API服务采购需求\n采购内容：调用大模型API服务，按tokens结算，服务期一年。\n"
    term, second = "大模型API服务", text.index("调用") + 2
    evidence = [{"field": "remote_compute", "text": term, "start": 2, "end": 2 + len(term)},
                {"field": "compute_kinds:model_api", "text": term, "start": second, "end": second + len(term)}]
    snippet = evidence_snippet(evidence, "某大学大模型API服务采购公告", {"": text}, [])
    assert snippet.text == "采购内容：调用大模型API服务，按tokens结算，服务期一年。"


def test_search_hits_of_a_stored_case_show_its_evidence_not_the_page_header(tmp_path, database_url):
    notice = tmp_path / "notice.txt"
    notice.write_text("蜀江大学算力服务采购项目公开招标公告\n" + BODY + "采购人：蜀江大学\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(notice), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    with Store.open(database_url) as store:
        for text in ("蜀江大学", "GPU", ""):
            [hit] = store.search(SearchQuery(text=text, cases_only=True)).hits
            assert "来源" not in hit.snippet.text and "阿里云GPU云服务器" in hit.snippet.text, (text, hit.snippet.text)
        [hit] = store.search(SearchQuery(text="GPU", cases_only=True)).hits
        assert [p.text for p in hit.snippet.parts if p.hit] == ["GPU"]
