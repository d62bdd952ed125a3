"""`tenderwatch search --since/--until` take a day, a month or a year, as the site does: --since from the
first day of the period, --until to its last."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from storage_helpers import Spec, save

from storage.store import Store
from tenderwatch.cli import main

DAYS = {"dec31": "2025-12-31", "sep01": "2026-09-01", "sep30": "2026-09-30T16:30", "oct01": "2026-10-01"}


@pytest.fixture
def dated_db(tmp_path, data_dir) -> str:
    url = f"sqlite:///{tmp_path / 'dated.db'}"
    with Store.open(url) as store:
        for key, day in DAYS.items():
            save(store, Spec(key=key, title=f"某大学GPU算力租赁服务采购公告（{key}）", published_at=day,
                             body=f"本项目采购GPU算力租赁服务，发布日期{day}。"))
    return url


def found(url: str, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["search", "算力", "--json", "--database-url", url, *args])
    assert result.exit_code == 0, result.output
    return sorted(hit["title"][-6:-1] for hit in json.loads(result.output))


@pytest.mark.parametrize("args, keys", [
    (["--since", "2026-09", "--until", "2026-09"], ["sep01", "sep30"]),
    (["--since", "2026"], ["oct01", "sep01", "sep30"]),
    (["--until", "2025"], ["dec31"]),
    (["--until", "2026-09-30"], ["dec31", "sep01", "sep30"]),
    (["--since", "2026-9-30", "--until", "2026-10"], ["oct01", "sep30"]),
    (["--since", "2026-10-01", "--until", "2026-10-01"], ["oct01"]),
])
def test_search_dates_take_a_year_a_month_or_a_day(dated_db, args, keys):
    assert found(dated_db, *args) == keys


@pytest.mark.parametrize("value", ["2026-13", "2026-02-30", "26-09", "September", "2026/09"])
def test_a_date_that_names_no_day_month_or_year_is_a_usage_error(dated_db, value):
    result = CliRunner().invoke(main, ["search", "算力", "--since", value, "--database-url", dated_db])
    assert result.exit_code == 2
    assert "YYYY-MM-DD, YYYY-MM or YYYY" in result.output and "Traceback" not in result.output
