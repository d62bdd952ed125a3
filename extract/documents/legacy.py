"""Legacy Word 97-2003 (.doc) and Kingsoft Writer (.wps, the same OLE/Word binary format) through LibreOffice.

LibreOffice converts the file to .docx and the .docx reader reads that, so a .doc's paragraphs and tables
come out exactly as a .docx's do. Chosen by measurement over antiword, catdoc, wvText and a pure-Python
OLE reader (docs/documents.md "Legacy Word"): they lose table rows or wrap lines; LibreOffice keeps both.

LibreOffice runs as a child process, never in ours: in a new session (so a timeout kills all of it),
with an address-space cap, a wall-clock timeout, and its own profile directory (one LibreOffice profile
cannot be shared by two running instances). A hung or crashing converter becomes `converter_timeout` /
`converter_failed`; a missing LibreOffice becomes `unsupported` naming what to install.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from extract.types import DocumentText

from .limits import Limits

# The program to run; TENDERWATCH_SOFFICE points elsewhere (tests use it to simulate a hung converter).
SOFFICE_ENV = "TENDERWATCH_SOFFICE"
_FILTER = "MS Word 97"
_NAMES = {"doc": "legacy Word 97-2003 document", "wps": "Kingsoft WPS Writer document"}


def soffice_path() -> str | None:
    return os.environ.get(SOFFICE_ENV) or shutil.which("soffice") or shutil.which("libreoffice")


def _limit_memory(max_bytes: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))

    return apply


def convert(data: bytes, ext_in: str, ext_out: str, limits: Limits) -> tuple[bytes | None, str | None]:
    """(converted bytes, None) or (None, "reason: detail") — LibreOffice headless, bounded in time and memory."""
    exe = soffice_path()
    if exe is None:
        return None, "unsupported: reading it needs LibreOffice (Debian: libreoffice-writer-nogui), not installed"
    with tempfile.TemporaryDirectory(prefix="tw-soffice-") as tmp:
        src = Path(tmp) / f"in.{ext_in}"
        src.write_bytes(data)
        out_dir = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless", "--norestore",
               # the Word 97 import filter only: a damaged file must fail, not be re-read as plain text
               f"--infilter={_FILTER}", "--convert-to", ext_out, "--outdir", str(out_dir), str(src)]
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_limit_memory(limits.converter_max_memory),
                                    env={**os.environ, "HOME": tmp})
        except OSError as exc:
            return None, f"converter_failed: could not start LibreOffice ({exc})"[:300]
        try:
            log, _ = proc.communicate(timeout=limits.converter_timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None, f"converter_timeout: LibreOffice did not finish within {limits.converter_timeout:g} s"
        finally:
            _kill_group(proc)  # LibreOffice can leave a helper behind in its session
        out = out_dir / f"in.{ext_out}"
        if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            lines = (log or b"").decode("utf-8", "replace").splitlines()
            tail = " ".join(ln.strip() for ln in lines if ln.strip() and "javaldx" not in ln)[-200:]
            if proc.returncode == 0 and "could not be loaded" in tail:  # LibreOffice ran; the file is bad
                return None, "corrupt: LibreOffice could not load it (damaged, or not really this format)"
            how = f"exit status {proc.returncode}" if proc.returncode else "no output"
            return None, f"converter_failed: LibreOffice could not convert the file ({how}; {tail})"[:300]
        return out.read_bytes(), None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def read_word_binary(data: bytes, name: str, fmt: str, limits: Limits) -> DocumentText:
    """A .doc or .wps (`fmt`) as a DocumentText of kind "doc", `meta["format"]` saying which."""
    from .office import read_docx

    if _word_encrypted(data):
        return DocumentText(text="", kind="doc", name=name, meta={"format": fmt},
                            errors=[f"encrypted: password-protected {_NAMES[fmt]} (.{fmt})"])
    converted, error = convert(data, fmt, "docx", limits)
    if error:
        reason, _, detail = error.partition(": ")
        return DocumentText(text="", kind="doc", name=name, meta={"format": fmt},
                            errors=[f"{reason}: {_NAMES[fmt]} (.{fmt}): {detail}"])
    doc = read_docx(converted, name, limits, core_title=False)
    doc.kind, doc.name = "doc", name
    doc.meta["format"] = fmt
    doc.meta["converter"] = "libreoffice"
    if doc.errors and not doc.text:  # LibreOffice wrote something the .docx reader could not use
        doc.errors = [f"converter_failed: {e}" for e in doc.errors]
    elif _garbled(doc.text):
        # A damaged text stream still "converts": into characters no document is written in.
        doc.errors = [f"corrupt: {_NAMES[fmt]} (.{fmt}): its text is not readable (a damaged file?)"]
        doc.text, doc.tables, doc.title = "", [], None
    return doc


def _word_encrypted(data: bytes) -> bool:
    """The Word FIB's fEncrypted bit. The FIB opens the WordDocument stream, which starts on a sector
    boundary with the magic 0xA5EC; LibreOffice would otherwise just fail to load the file."""
    for offset in range(512, min(len(data), 1 << 22) - 12, 512):
        if data[offset:offset + 2] == b"\xec\xa5":
            return bool(int.from_bytes(data[offset + 10:offset + 12], "little") & 0x0100)
    return False


def _garbled(text: str) -> bool:
    from .encoding import plausibility

    sample = text[:20000]
    non_ascii = sum(1 for c in sample if ord(c) > 0x7F)
    return non_ascii >= 50 and plausibility(sample) < 0.3
