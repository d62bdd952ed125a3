"""The command line prints the vocabulary's labels where the site and the digest do: `show` and the facet
counts of `search` name notice types, amount kinds, providers, chips, kinds and flags as people read them, not by their ids."""

from __future__ import annotations

from click.testing import CliRunner

from extract.compute import vocabulary
from extract.types import Amount
from storage.store import Store
from storage_helpers import Spec, save
from tenderwatch.cli import main

FINDINGS = {"kind": ["gpu_rental"], "provider": ["aws"], "chip": ["nvidia-a100"], "flag": ["us_provider"]}


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'labels.db'}"
    with Store.open(url, blob_dir=tmp_path / "raw") as store:
        save(store, Spec(key="a", title="GPU算力租赁服务采购公告", body="采购人：蜀江大学。租用AWS的A100 GPU算力。",
                         buyer="蜀江大学", remote_compute=True, compute_kinds=FINDINGS["kind"],
                         providers=FINDINGS["provider"], chips=FINDINGS["chip"], flags=FINDINGS["flag"],
                         amounts=[Amount(kind="max_price", value_cny=1_000_000.0, raw="100万元")]))
    return url


def _labels() -> dict[str, str]:
    out = {v: vocabulary.label(facet, v) for facet, values in FINDINGS.items() for v in values}
    assert all(label != v for v, label in out.items())  # the check below could not tell them apart otherwise
    return out


def test_show_prints_labels_of_kinds_providers_chips_and_flags(tmp_path, data_dir):
    url = _db(tmp_path)
    out = CliRunner().invoke(main, ["show", "1", "--database-url", url])
    assert out.exit_code == 0, out.output
    findings = [line for line in out.output.splitlines()
                if line.strip().startswith(("kinds:", "providers:", "chips:", "flags:"))]
    assert len(findings) == 4, out.output
    assert f"type:         {vocabulary.label('notice_type', 'tender')}\n" in out.output
    assert f"amount:       {vocabulary.label('amount_kind', 'max_price')}: 1,000,000.00 CNY" in out.output
    for value, label in _labels().items():
        assert any(label in line and value not in line.replace(label, "") for line in findings), (value, findings)


def test_search_facet_counts_print_labels(tmp_path, data_dir):
    url = _db(tmp_path)
    out = CliRunner().invoke(main, ["search", "算力", "--database-url", url])
    assert out.exit_code == 0, out.output
    facets = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in out.output.splitlines()
              if line.split(": ", 1)[0] in FINDINGS}
    assert set(facets) == set(FINDINGS), out.output
    for facet, values in FINDINGS.items():
        for v in values:
            assert facets[facet] == f"{vocabulary.label(facet, v)} (1)", facets
