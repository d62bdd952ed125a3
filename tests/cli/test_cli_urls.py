"""URLs that the digest and the OCDS export write into every link and package (the public site, the
extension, the publisher, the licence) are absolute http(s) URLs; anything else is a one-line error, and
nothing is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tenderwatch.cli import main


@pytest.mark.parametrize("args", [
    ["export", "--format", "ocds-records", "--public-url", "tenderwatch.example.org"],
    ["export", "--format", "ocds", "--extension-url", "javascript:alert(1)"],
    ["export", "--format", "ocds", "--publisher-uri", "/relative/path"],
    ["export", "--format", "ocds", "--license", "CC-BY-4.0"],
    ["export", "--format", "ocds", "--publication-policy", "ftp://example.org/policy"],
    ["digest", "--public-url", "127.0.0.1:8000"],
])
def test_a_url_that_is_not_absolute_http_is_refused_in_one_line(tmp_path, data_dir, args):
    out = tmp_path / "out"
    target = ["--out", str(out / "x.json")] if args[0] == "export" else ["--out", str(out)]
    result = CliRunner().invoke(main, [*args, *target, "--database-url", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 2, result.output
    assert "is not an absolute http(s) URL" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_the_public_url_from_the_environment_is_checked_too(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_PUBLIC_URL", "www.example.org")
    result = CliRunner().invoke(main, ["export", "--format", "ocds", "--out", str(tmp_path / "x.json"),
                                       "--database-url", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 2 and "'www.example.org' is not an absolute http(s) URL" in result.output
