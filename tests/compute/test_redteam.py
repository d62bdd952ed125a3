"""Red-team notices (tests/compute/data/redteam.toml): other wording, Traditional Chinese and English, hardware
buys worded differently and new look-alikes, each through read_document + extract_notice as the product runs."""

import tomllib
from pathlib import Path

import pytest

from extract.documents import read_document
from extract.pipeline import extract_notice

CASES = tomllib.loads((Path(__file__).parent / "data" / "redteam.toml").read_text(encoding="utf-8"))["case"]
KEYS = ("remote_compute", "compute_kinds", "hardware_purchase", "cloud_providers", "gpu_models")


def pdf_bytes(text: str, width: int = 34) -> bytes:
    """The notice as a PDF page, each line wrapped at `width` characters as a PDF's text lines are."""
    import io

    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    y = 800
    for para in text.splitlines():
        for i in range(0, max(len(para), 1), width):
            c.setFont("STSong-Light", 10)
            c.drawString(40, y, para[i:i + width])
            y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def run(case: dict):
    fmt = case.get("format", "txt")
    data = pdf_bytes(case["text"]) if fmt == "pdf" else case["text"].encode("utf-8")
    doc = read_document(data, name=f"{case['id']}.{fmt}")
    c = extract_notice(doc).compute
    return {"remote_compute": c.remote_compute, "compute_kinds": sorted(c.compute_kinds),
            "hardware_purchase": c.hardware_purchase, "cloud_providers": sorted(c.cloud_providers),
            "gpu_models": sorted(c.gpu_models)}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_redteam_notice(case):
    got = run(case)
    want = {k: (sorted(case[k]) if isinstance(case[k], list) else case[k]) for k in KEYS}
    assert got == want, case["note"]
