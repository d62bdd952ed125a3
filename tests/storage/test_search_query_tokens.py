"""The tokenizer and the query parser, without a database."""

import pytest

from storage.normalise import content_hash, fold_text, normalise_code, normalise_name
from storage.search import MAX_QUERY_CHARS, QuerySyntaxError, parse_query
from storage.search.index import MAX_LEXEME_POSITIONS, PART_OVERLAP, PART_TOKENS, postgres_parts
from storage.search.tokens import QueryToken, char_class, index_tokens, query_tokens


def test_cjk_runs_index_one_token_per_character():
    assert index_tokens("阿里云") == ["阿里", "里云", "云"]
    assert index_tokens("云") == ["云"]
    assert index_tokens("采购阿里云，华为") == ["采购", "购阿", "阿里", "里云", "云", "华为", "为"]


def test_latin_and_digits_split_at_class_boundaries():
    assert index_tokens("A100") == ["a", "100"]
    assert index_tokens("p4d.24xlarge") == ["p", "4", "d", "24", "xlarge"]
    assert index_tokens("华为云A100GPU") == ["华为", "为云", "云", "a", "100", "gpu"]
    assert index_tokens("Ａ１００　ＧＰＵ") == ["a", "100", "gpu"]  # full width folded
    assert index_tokens("——（）《》、。!?_") == []


def test_fold_keeps_offsets():
    text = "Ａ１００，㎡阿里云"
    assert len(fold_text(text)) == len(text)
    assert fold_text(text) == "a100,㎡阿里云"  # ㎡ would become two characters, so it stays


def test_query_tokens_follow_the_index():
    assert query_tokens("阿里云") == [QueryToken("阿里"), QueryToken("里云")]
    assert query_tokens("云") == [QueryToken("云", prefix=True)]
    assert query_tokens("云A100") == [QueryToken("云"), QueryToken("a"), QueryToken("100")]
    assert query_tokens("A10") == [QueryToken("a"), QueryToken("10")]


def test_parse_groups_or_and_exclusions():
    q = parse_query('阿里云 OR 华为云 "NVIDIA A100" -会议室')
    assert [[t.text for t in g] for g in q.groups] == [["阿里云", "华为云"], ["NVIDIA A100"]]
    assert [t.text for t in q.excluded] == ["会议室"]
    assert q.groups[1][0].quoted
    assert parse_query("").empty and parse_query("   ").empty
    assert parse_query("“算力 租赁”").groups[0][0].text == "算力 租赁"  # curly quotes
    assert [t.text for t in parse_query('-"会议 室" 云').excluded] == ["会议 室"]
    assert parse_query("GPT-4").groups[0][0].text == "GPT-4"  # a hyphen inside a term is not exclusion
    assert parse_query("a or b").groups[1][0].text == "or"  # only upper-case OR is an operator


@pytest.mark.parametrize(
    "bad, message",
    [
        ('"A100', "quote is not closed"),
        ("OR 云", "OR must stand between"),
        ("云 OR", "OR must stand between"),
        ("云 OR OR 雨", "OR must stand between"),
        ("云 OR -雨", "excluded term cannot be part of OR"),
        ("-云 OR 雨", "excluded term cannot be part of OR"),
        ("-云", "cannot only exclude"),
        ('""', "empty phrase"),
        ("、、", "no letters, digits or Chinese"),
        ("云 -", "lone '-'"),
        ("云" * (MAX_QUERY_CHARS + 1), "limit is"),
        (" ".join("云雨风雪霜雷电雾冰雹露虹霞星月日山"), "too many terms"),
    ],
)
def test_bad_queries_say_why(bad, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(bad)


def lexeme_positions(literal: str) -> dict[str, list[str]]:
    """A tsvector literal read as PostgreSQL reads it: each lexeme's positions, however often it is listed."""
    out: dict[str, list[str]] = {}
    for entry in literal.split(" "):
        lexeme, positions = entry.rsplit(":", 1)
        out.setdefault(lexeme, []).extend(positions.split(","))
    return out


def test_postgres_parts_stay_under_tsvector_limits_and_overlap():
    body = "甲乙" * 30_000  # one lexeme repeated far past 256 positions
    parts = postgres_parts("标题", body)
    assert len(parts) > 1 + len(index_tokens(body)) // PART_TOKENS
    for part in parts[1:]:
        lexemes = lexeme_positions(part)
        assert max(int(p) for positions in lexemes.values() for p in positions) <= PART_TOKENS
        assert set(lexemes) <= {"'甲乙'", "'乙甲'", "'乙'"}
        assert all(len(positions) <= MAX_LEXEME_POSITIONS for positions in lexemes.values())
    assert lexeme_positions(parts[0]) == {"'标题'": ["1A"], "'题'": ["2A"]}
    assert PART_OVERLAP > MAX_QUERY_CHARS  # any query phrase fits inside one part


def test_tokens_need_no_escaping_in_a_tsvector_literal():
    assert char_class("'") is None and char_class("\\") is None and char_class(" ") is None


def test_normal_forms():
    assert normalise_name(" 复旦 大学（医学院）") == normalise_name("复旦大学(医学院)") == "复旦大学(医学院)"
    assert normalise_code("zb－2024－001 ") == "ZB-2024-001"
    assert content_hash("采购  云服务\n\n") == content_hash("采购 云服务")
    assert content_hash("采购云服务") != content_hash("采购云服务器")
