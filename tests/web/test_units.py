"""Search parameters as URLs, and evidence highlighting, on their own."""

from __future__ import annotations

from datetime import date

import pytest

from web.highlight import Span, render, resolve
from web.params import ParamError, parse_params


def test_amounts_are_read_as_notices_write_them():
    p = parse_params([("amount_min", "50万"), ("amount_max", "1.2亿")])
    assert p.amount_min == 500_000 and p.amount_max == 120_000_000
    assert parse_params([("amount_min", "1,000,000")]).amount_min == 1_000_000


def test_dates_accept_year_and_month():
    assert parse_params([("since", "2024")]).since == date(2024, 1, 1)
    assert parse_params([("since", "2024-03")]).since == date(2024, 3, 1)
    with pytest.raises(ParamError, match="not a date"):
        parse_params([("until", "yesterday")])


def test_cases_switch_default_on_and_hidden_field_pattern():
    assert parse_params([]).cases_only is True
    assert parse_params([("cases", "0")]).cases_only is False
    assert parse_params([("cases", "0"), ("cases", "1")]).cases_only is True  # ticked box after the hidden field


def test_equal_searches_have_equal_urls():
    a = parse_params([("provider", "aws"), ("q", "云"), ("page", "1"), ("cases", "1")])
    b = parse_params([("q", "云"), ("provider", "aws")])
    assert a.qs() == b.qs() == "q=%E4%BA%91&provider=aws"


def test_facet_toggle_adds_and_removes_and_resets_the_page():
    p = parse_params([("q", "云"), ("page", "3"), ("chip", "nvidia-a100")])
    assert p.toggle("provider", "aws") == "q=%E4%BA%91&provider=aws&chip=nvidia-a100"
    assert p.toggle("chip", "nvidia-a100") == "q=%E4%BA%91"
    # Region and year are single-valued: another click replaces.
    assert parse_params([("year", "2023")]).toggle("year", "2024") == "year=2024"


def test_overlong_and_control_characters_are_refused():
    with pytest.raises(ParamError, match="too long"):
        parse_params([("q", "x" * 1000)])
    with pytest.raises(ParamError, match="control"):
        parse_params([("buyer", "a\x00b")])


def test_render_escapes_everything_but_its_own_marks():
    text = '<script>x</script> 阿里云 <img onerror="y">'
    start = text.index("阿里云")
    doc, _ = resolve(text, [{"field": "cloud_providers:alibaba-cloud", "text": "阿里云", "start": start, "end": start + 3}], "ev")
    html = str(render(text, doc.spans))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "onerror=&#34;y&#34;" in html
    assert '<mark class="ev" id="ev-1" title="cloud_providers:alibaba-cloud" data-fields="cloud_providers:alibaba-cloud">阿里云</mark>' in html


def test_overlapping_evidence_is_cut_not_nested():
    text = "租用亚马逊云科技海外账号"
    spans = [Span(0, 12, ["remote_compute"], "ev-1"), Span(2, 8, ["cloud_providers:aws"], "ev-2")]
    html = str(render(text, spans))
    assert html.count("<mark") == 3 and "<mark" not in html.split("</mark>")[0][6:]  # flat, never nested
    assert 'id="ev-1"' in html and 'id="ev-2"' in html
    assert 'data-fields="cloud_providers:aws remote_compute"' in html


def test_evidence_with_stale_offsets_is_found_by_its_text_or_left_unanchored():
    text = "前言。采购阿里云服务。"
    doc, ann = resolve(text, [{"field": "a", "text": "阿里云", "start": 0, "end": 3},
                              {"field": "b", "text": "不存在", "start": 1, "end": 4}], "ev")
    assert (doc.spans[0].start, doc.spans[0].end) == (5, 8)
    assert ann[1]["anchor"] is None and doc.unanchored[0]["field"] == "b"


def test_query_terms_are_marked_apart_from_evidence():
    html = str(render("A100 与 A10", [], query_hits=[(0, 4)]))
    assert html == '<mark class="q">A100</mark> 与 A10'


def test_the_csv_export_quotes_scraped_text_that_a_spreadsheet_would_run_as_a_formula():
    import csv
    import io

    from storage.reading import OrgRef
    from web.exports import iter_csv
    from web.search import Hit

    hostile = Hit(id=1, title='=HYPERLINK("http://evil","点")', url="https://example.org/1", source="ccgp",
                  published_at=None, notice_type="tender", region="+86", buyer=OrgRef(1, "@采购人"),
                  vendors=[OrgRef(2, "-供应商")], remote_compute=True, hardware_purchase=False,
                  compute_kinds=["cloud"], cloud_providers=[], gpu_models=[], flags=[], amount=-5.0)
    text = b"".join(iter_csv([hostile], "http://site")).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row))
    assert cells["title"] == "'" + hostile.title
    assert (cells["buyer"], cells["vendors"], cells["region"]) == ("'@采购人", "'-供应商", "'+86")
    assert cells["amount_cny"] == "-5"  # a number stays a number
    assert cells["remote_compute"] == "yes"
