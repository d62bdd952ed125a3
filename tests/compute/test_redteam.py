"""Red-team notices (tests/compute/data/redteam.toml): other wording, Traditional Chinese and English, hardware
buys worded differently and new look-alikes, each through read_document + extract_notice as the product runs."""

import tomllib
from pathlib import Path

import pytest

from extract.documents import read_document
from extract.pipeline import extract_notice

CASES = tomllib.loads((Path(__file__).parent / "data" / "redteam.toml").read_text(encoding="utf-8"))["case"]
KEYS = ("remote_compute", "compute_kinds", "hardware_purchase", "cloud_providers", "gpu_models")


def run(case: dict):
    doc = read_document(case["text"].encode("utf-8"), name=f"{case['id']}.{case.get('format', 'txt')}")
    c = extract_notice(doc).compute
    return {"remote_compute": c.remote_compute, "compute_kinds": sorted(c.compute_kinds),
            "hardware_purchase": c.hardware_purchase, "cloud_providers": sorted(c.cloud_providers),
            "gpu_models": sorted(c.gpu_models)}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_redteam_notice(case):
    got = run(case)
    want = {k: (sorted(case[k]) if isinstance(case[k], list) else case[k]) for k in KEYS}
    assert got == want, case["note"]
