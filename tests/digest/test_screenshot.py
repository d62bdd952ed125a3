"""tools/digest_screenshot.py: the HTML digest rendered by headless Chromium (what `make screenshots` runs)."""

import importlib.util
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "digest_screenshot.py"


@pytest.mark.browser
def test_screenshot_of_the_sample_digest(tmp_path, chromium_executable):
    spec = importlib.util.spec_from_file_location("digest_screenshot", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert Path(tool.CHROMIUM) == chromium_executable
    assert tool.main(["--out", str(tmp_path)]) == 0
    png = (tmp_path / "digest.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    # The whole page: the 640px column in a 720px pane, and all seven cases (several screens tall).
    assert width == tool.WIDTH and height > 2000
