"""`tenderwatch weekly`: each configured source crawled in its own process with its options, then the digest;
a failed crawl still gives the digest but a failing exit status."""

import json
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from tenderwatch.cli import main
from tenderwatch.commands.weekly import default_config_path, load_config

# Stands in for `tenderwatch crawl`: records its arguments and the database it was told to use.
FAKE_CRAWL = textwrap.dedent("""
    import json, os, sys
    with open(sys.argv[1], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": sys.argv[2:], "db": os.environ.get("TENDERWATCH_DATABASE_URL")}) + "\\n")
    sys.exit(3 if "broken" in sys.argv else 0)
""")


def write_config(tmp_path: Path, sources: str) -> tuple[Path, Path]:
    script, log = tmp_path / "fake_crawl.py", tmp_path / "crawls.jsonl"
    script.write_text(FAKE_CRAWL, encoding="utf-8")
    config = tmp_path / "weekly.toml"
    config.write_text(textwrap.dedent(f"""
        [digest]
        out = "{tmp_path / 'digests'}"
        [crawl]
        command = [{json.dumps(sys.executable)}, {json.dumps(str(script))}, {json.dumps(str(log))}]
    """) + textwrap.dedent(sources), encoding="utf-8")
    return config, log


def test_weekly_crawls_each_source_then_writes_the_digest(sample_url, tmp_path):
    config, log = write_config(tmp_path, """
        [[sources]]
        spider = "ccgp"
        options = ["--since", "2026-11-09"]
        [[sources]]
        spider = "ggzy"
    """)
    result = CliRunner().invoke(main, ["weekly", "--config", str(config), "--week", "2026-W47", "--database-url", sample_url,
                                       "--crawl-option=--max-pages=2"])
    assert result.exit_code == 0, result.output
    crawls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert crawls == [
        {"argv": ["ccgp", "--since", "2026-11-09", "--max-pages=2"], "db": sample_url},
        {"argv": ["ggzy", "--max-pages=2"], "db": sample_url},
    ]
    assert (tmp_path / "digests" / "digest-2026-W47.html").exists()
    assert "2026-W47: 3 new cases" in result.output


def test_a_failed_crawl_still_gives_the_digest_and_a_failing_status(sample_url, tmp_path):
    config, log = write_config(tmp_path, """
        [[sources]]
        spider = "broken"
        [[sources]]
        spider = "ccgp"
    """)
    result = CliRunner().invoke(main, ["weekly", "--config", str(config), "--week", "2026-W47", "--database-url", sample_url])
    assert result.exit_code == 1
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2  # the second source still ran
    assert (tmp_path / "digests" / "digest-2026-W47.md").exists()
    assert "these crawls failed: broken" in result.output


def test_only_and_skip_crawl(sample_url, tmp_path):
    config, log = write_config(tmp_path, """
        [[sources]]
        spider = "ccgp"
        [[sources]]
        spider = "ggzy"
    """)
    args = ["weekly", "--config", str(config), "--week", "2026-W47", "--database-url", sample_url]
    assert CliRunner().invoke(main, args + ["--only", "ggzy"]).exit_code == 0
    assert [json.loads(l)["argv"] for l in log.read_text(encoding="utf-8").splitlines()] == [["ggzy"]]
    assert CliRunner().invoke(main, args + ["--skip-crawl"]).exit_code == 0
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1
    result = CliRunner().invoke(main, args + ["--only", "zcy"])
    assert result.exit_code == 1 and "not configured" in result.output


def test_the_default_configuration_crawls_ccgp(data_dir):
    cfg = load_config(default_config_path())
    assert [(s.spider, s.options) for s in cfg.sources] == [("ccgp", [])]
    assert cfg.command[1:] == ["-m", "tenderwatch.cli", "crawl"] and cfg.out == "digests"
    # A weekly.toml in the data dir takes over.
    (data_dir / "weekly.toml").write_text('[[sources]]\nspider = "zcy"\n', encoding="utf-8")
    assert [s.spider for s in load_config(default_config_path()).sources] == ["zcy"]


def test_a_bad_configuration_is_reported(tmp_path):
    bad = tmp_path / "weekly.toml"
    bad.write_text('[[sources]]\noptions = "--since"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["weekly", "--config", str(bad), "--skip-crawl"])
    assert result.exit_code == 1 and "needs a spider name" in result.output
