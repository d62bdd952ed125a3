"""Search hardening (issue 18): unknown filter values are usage errors naming the known values (items 9), the
snippet work per document is bounded (item 5), and one function chooses a case's evidence sentence (item 14)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from storage.evidence import case_sentence
from storage.normalise import fold_text
from storage.search import SearchQuery, UnknownFilterValue
from storage.search.query import parse_query
from storage.search.snippets import MAX_HITS, SCAN_CHARS, find_hits, make_snippet
from storage.search.tokens import index_tokens
from storage.search.vocab import known_values

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "attr, value, known",
    [("provider", "aliyun", "alibaba-cloud"), ("chip", "A100", "nvidia-a100"), ("kind", "gpu", "gpu_rental"),
     ("flag", "foo", "intermediary"), ("notice_type", "bid", "award")],
)
def test_an_unknown_filter_value_is_refused_with_the_known_values(attr, value, known):
    with pytest.raises(UnknownFilterValue) as err:
        SearchQuery(**{attr: [known, value]})
    assert repr(value) in str(err.value) and known in str(err.value)
    SearchQuery(**{attr: known})  # a known value is fine


def test_the_known_providers_and_chips_are_the_lexicon_data_files_ids():
    def ids(name, table):
        with open(ROOT / "extract" / "compute" / "data" / name, "rb") as fh:
            return sorted(entry["id"] for entry in tomllib.load(fh)[table])

    assert list(known_values("provider")) == ids("providers.toml", "provider")
    assert list(known_values("chip")) == ids("accelerators.toml", "chip")


@pytest.mark.parametrize(
    "option, value, known", [("--provider", "aliyun", "alibaba-cloud"), ("--flag", "foo", "offshore"),
                             ("--kind", "gpu", "model_api"), ("--type", "bid", "contract")],
)
def test_cli_search_with_an_unknown_filter_value_exits_2_naming_the_known_values(tmp_path, option, value, known):
    from storage.store import Store
    from tenderwatch.cli import main

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    Store.open(url).close()
    result = CliRunner().invoke(main, ["search", "算力", option, value, "--database-url", url])
    assert result.exit_code == 2, result.output
    assert repr(value) in result.output and known in result.output
    assert "Traceback" not in result.output and "0 notices" not in result.output


def test_snippet_hits_are_counted_up_to_a_bound_per_term():
    folded = fold_text("算，" * 200_000)  # 200,000 separate hits
    assert len(find_hits(folded, parse_query("算").positive_terms)) == MAX_HITS
    assert len(find_hits(folded, parse_query("算").positive_terms, max_hits=3)) == 3


def test_a_huge_notice_gets_a_highlighted_snippet_from_its_first_characters_only():
    terms = parse_query("算").positive_terms
    snippet = make_snippet([("", "算" * 5_000_000)], terms)
    assert snippet is not None and snippet.parts[0].hit and len(snippet.text) <= 200
    # A hit beyond the scanned start of a document is not looked for: the snippet is the start of the text.
    late = "无关内容。" * (SCAN_CHARS // 5 + 10) + "算力租赁"
    snippet = make_snippet([("", late)], parse_query("算力").positive_terms)
    assert not any(p.hit for p in snippet.parts) and snippet.text.startswith("无关内容")
    # …while a second document (an attachment) is still searched from its own start.
    snippet = make_snippet([("", late), ("附件.pdf", "附件：算力租赁服务")], parse_query("算力").positive_terms)
    assert snippet.document == "附件.pdf" and any(p.hit and p.text == "算力" for p in snippet.parts)


def test_a_huge_stored_notice_is_found_and_highlighted(sqlite_url, tmp_path):
    from storage_helpers import Spec, save

    from storage.store import Store

    with Store.open(sqlite_url, blob_dir=tmp_path / "raw") as store:
        save(store, Spec(key="huge", title="大文件", body="算" * 1_000_000))
        save(store, Spec(key="small", title="算力租赁服务", body="租用算力一年。"))
        result = store.search(SearchQuery(text="算"))
    assert result.total == 2
    for hit in result.hits:
        assert any(p.hit and p.text.startswith("算") for p in hit.snippet.parts)


def ev(field, text, body, document=""):
    start = body.index(text)
    return {"field": field, "text": text, "start": start, "end": start + len(text), "document": document}


def test_the_evidence_sentence_splits_field_names_and_passes_over_the_title():
    title = "东湖大学阿里云服务采购公告"
    body = "东湖大学阿里云服务采购公告\n一、项目概况：租用阿里云GPU云服务器一年。二、预算：50万元。"
    attachment = "附件说明：服务商须提供阿里云ECS实例。"
    docs = {"": body, "需求.pdf": attachment}
    evidence = [
        ev("buyer", "东湖大学", body),  # a field's evidence never explains a case
        ev("cloud_providers:alibaba-cloud", "阿里云", body),  # the title line: passed over
        ev("compute_kinds:cloud", "租用阿里云GPU云服务器", body),
        ev("remote_compute", "阿里云ECS实例", attachment, "需求.pdf"),
    ]
    # remote_compute ranks first, and is read from the attachment its offsets point into.
    assert case_sentence(evidence, title, docs.get) == "附件说明：服务商须提供阿里云ECS实例。"
    # Without it, "compute_kinds:cloud" (a field name with a value) ranks before "cloud_providers:…", and the
    # title line is passed over for a sentence of the body.
    assert case_sentence(evidence[:3], title, docs.get) == "一、项目概况：租用阿里云GPU云服务器一年。"
    assert case_sentence(evidence[:2], title, docs.get) == title  # only the title: then the title
    assert case_sentence(evidence[:1], title, docs.get) is None


def test_the_sqlite_index_keeps_each_token_of_a_notice_a_bounded_number_of_times():
    from storage.search.index import MAX_TOKEN_REPEATS, sqlite_body

    tokens = sqlite_body("算" * (3 * MAX_TOKEN_REPEATS) + "。阿里云").split()
    assert tokens.count("算算") == MAX_TOKEN_REPEATS
    assert tokens[-3:] == ["阿里", "里云", "云"]  # what follows the repeats is indexed in order
    ordinary = "采购云服务器。" * 50
    assert sqlite_body(ordinary).split() == index_tokens(ordinary)


def test_an_index_built_before_the_repeat_cap_is_rebuilt_on_the_next_writable_open(sqlite_url, tmp_path):
    import sqlalchemy as sa
    from storage_helpers import Spec, save

    from storage.search.index import INDEX_VERSION
    from storage.store import Store

    with Store.open(sqlite_url, blob_dir=tmp_path / "raw") as store:
        save(store, Spec(key="one", title="算力租赁服务", body="租用算力一年。"))
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE search_meta SET value = '1' WHERE key = 'tokenizer'"))
    with Store.open(sqlite_url, blob_dir=tmp_path / "raw") as store:
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT value FROM search_meta WHERE key = 'tokenizer'")).scalar() == INDEX_VERSION
        assert store.search(SearchQuery(text="算力")).total == 1
