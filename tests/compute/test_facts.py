"""The facts tables: every VOCAB id has facts, every fact has a source, rule dates are applied."""

import re

import pytest

from extract.compute.lexicon import load_lexicon

LEX = load_lexicon()


def _vocab_ids(shared_dir, heading):
    text = (shared_dir / "benchmarks" / "compute-cases" / "VOCAB.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for m in re.finditer(r"^\| ([a-z0-9-]+) \|", section, re.M)} - {"id"}


@pytest.mark.shared
def test_every_vocab_accelerator_has_facts(shared_dir):
    ids = _vocab_ids(shared_dir, "## Accelerators")
    assert ids and ids <= set(LEX.chips)
    assert set(LEX.chips) <= ids  # and nothing outside the vocabulary is reported


@pytest.mark.shared
def test_every_vocab_provider_has_facts(shared_dir):
    ids = _vocab_ids(shared_dir, "## Cloud and compute providers")
    assert ids == set(LEX.providers)


def test_every_chip_has_a_vendor_names_and_sourced_export_rows():
    for chip in LEX.chips.values():
        assert chip.vendor and chip.names, chip.id
        assert chip.export_control, chip.id
        for row in chip.export_control:
            assert row.rule in LEX.rules and row.status in LEX.status_controlled and row.source, (chip.id, row)


def test_every_rule_has_a_date_and_a_source():
    for rule in LEX.rules.values():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rule["effective"]) and rule["source"]
    assert LEX.rules["oct2022"]["effective"] == "2022-10-07"
    assert LEX.rules["oct2023"]["effective"] == "2023-11-17"
    assert LEX.rules["apr2025_h20"]["effective"].startswith("2025-04")
    assert LEX.rules["jan2026"]["effective"].startswith("2026-01")


def test_specs_only_use_figures_the_matcher_reads():
    from extract.compute.nlp import FIGURE_NAMES

    known = set(FIGURE_NAMES)
    assert "cuda_cores" in known  # a graphics card given by its CUDA cores (issue 12)
    for chip in LEX.chips.values():
        for variant in chip.specs:
            assert set(variant) <= known, chip.id


def test_unverified_facts_stay_marked():
    # computed TPP values and general-knowledge specs are marked as in the reference
    a100 = LEX.chips["nvidia-a100"]
    assert "[computed]" in a100.tpp_note
    assert any(not r.verified for c in LEX.chips.values() for r in c.export_control)
    assert "[unverified" in LEX.chips["nvidia-v100"].specs_source


@pytest.mark.parametrize("chip,day,controlled", [
    ("nvidia-a100", "2022-10-06", True),   # is-informed letters of ~31 Aug 2022 (unverified date) already apply
    ("nvidia-a100", "2022-08-01", False),
    ("nvidia-a100", "2022-10-07", True),
    ("nvidia-a800", "2023-11-16", False),  # escaped the Oct 2022 rule by its 400 GB/s NVLink
    ("nvidia-a800", "2023-11-17", True),   # Oct 2023 rule effective 17 Nov 2023
    ("nvidia-h800", "2023-06-01", False),
    ("nvidia-h20", "2024-06-01", False),
    ("nvidia-h20", "2025-04-09", True),    # licence from Apr 2025
    ("nvidia-rtx-4090", "2023-11-17", True),
    ("nvidia-rtx-4090d", "2024-06-01", False),
    ("nvidia-v100", "2025-01-01", False),
    ("huawei-ascend-910b", "2025-06-01", False),  # Chinese design: US export rules on US chips do not apply
])
def test_control_status_follows_the_rule_dates(chip, day, controlled):
    assert LEX.controlled(chip, day)[0] is controlled


def test_h200_moves_to_case_by_case_in_january_2026():
    assert LEX.controlled("nvidia-h200", "2025-12-31")[1].status == "controlled"
    row = LEX.controlled("nvidia-h200", "2026-01-15")[1]
    assert row.status == "case_by_case" and row.rule == "jan2026"


def test_us_providers_and_china_operators():
    assert {p.id for p in LEX.providers.values() if p.us_headquartered} == {
        "aws", "azure", "google-cloud", "oracle-cloud", "ibm-cloud", "coreweave", "lambda"}
    assert "光环新网" in LEX.providers["aws"].china_operator and "西云数据" in LEX.providers["aws"].china_operator
    assert "世纪互联" in LEX.providers["azure"].china_operator
    for p in LEX.providers.values():
        assert p.source and p.names, p.id


def test_every_instance_type_maps_to_a_known_chip_and_provider():
    for inst in LEX.instances:
        assert inst.chip in LEX.chips and inst.provider in LEX.providers and inst.example and inst.source
