"""The one CSV cell rule both CSV exports write through (storage.exports.tabular.cell)."""

from __future__ import annotations

import pytest

from storage.exports.tabular import cell


@pytest.mark.parametrize("text", ["=1+1", "+86 10", "-cmd", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_read_as_a_formula_is_quoted(text):
    assert cell(text) == "'" + text
    assert cell([text, "b"]) == f"'{text}; b"


def test_numbers_booleans_and_plain_text_are_written_as_they_are():
    assert [cell(x) for x in (-5.0, 3.2, 198600.0, True, None, "阿里云")] == ["-5", "3.2", "198600", "true", "", "阿里云"]
