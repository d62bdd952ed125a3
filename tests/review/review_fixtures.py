"""Review test fixtures (imported by the test modules, not a conftest: tests/web imports its own conftest by
name): a database of real notices stored through the real pipeline, and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from click.testing import CliRunner

import review_corpus  # tests/review is on sys.path (rootdir-relative test modules)


@dataclass
class Db:
    url: str
    ids: dict[str, int]

    def cli(self, *args: str, input: str | None = None):
        """Run `tenderwatch ARGS --database-url URL` in-process; returns click's Result."""
        from tenderwatch.cli import main

        return CliRunner().invoke(main, [*args, "--database-url", self.url], input=input, catch_exceptions=False)


@pytest.fixture
def extracted(database_url, data_dir) -> Db:
    """The review corpus on each backend, extracted by the current extractor; raw bytes under data_dir."""
    from storage.store import Store

    with Store.open(database_url) as store:
        ids = review_corpus.fill(store)
    return Db(database_url, ids)


def add_candidate(url: str, title: str, day: str) -> int:
    """A possible case as the extractor reports one (compute evidence short of a case), stored as is."""
    from extract.fields.dates import read_when
    from extract.types import ComputeFindings, DocumentText, NoticeExtraction, NoticeFields
    from storage.store import Store
    from storage.processing import RawNotice

    extraction = NoticeExtraction(
        fields=NoticeFields(notice_type="tender", title=title, published_at=read_when(day)),
        compute=ComputeFindings(compute_candidate=True, candidate_score=0.4, candidate_reasons=["no provider named"]),
        extractor_version="test",
    )
    raw = RawNotice(source="local", url=f"https://www.example.gov.cn/notices/candidate-{day}.htm",
                    data=f"<html><body><h1>{title}</h1></body></html>".encode(), content_type="text/html",
                    name="candidate.htm", list_meta={"title": title, "published_at": day})
    with Store.open(url) as store:
        return store.save_notice(raw, DocumentText(text=title, kind="html", title=title), [], extraction).notice_id
