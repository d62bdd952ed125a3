"""ZIP: each member read by `read_document` into `parts`; the ZIP's text is the members' texts, each under
its name. Guarded against bombs (member count, inflated size counted while reading, compression ratio,
nesting depth). Member names written by Chinese Windows archivers are GB18030 without the UTF-8 flag;
Python's zipfile reads those as CP437 mojibake, so they are re-decoded here."""

from __future__ import annotations

import io
import zipfile
from typing import Callable

from extract.types import DocumentText

from .encoding import plausibility
from .limits import Limits

_SKIP_PREFIXES = ("__MACOSX/",)
_SKIP_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
_CHUNK = 1 << 16


def member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:  # the UTF-8 flag: zipfile already decoded it right
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    if raw.isascii():
        return info.filename
    for codec in ("utf-8", "gb18030", "big5hkscs"):  # UTF-8 without the flag is common too
        try:
            name = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8" or plausibility(name) >= 0.5:
            return name
    return info.filename


def _reason_first(member: str, err: str) -> str:
    reason, sep, detail = err.partition(": ")
    return f"{reason}: {member}: {detail}" if sep else f"{err}: {member}"


def read_zip(data: bytes, name: str, limits: Limits, depth: int, read_document: Callable) -> DocumentText:
    doc = DocumentText(text="", kind="zip", name=name)
    if depth >= limits.zip_max_depth:
        doc.errors.append(f"too_large: ZIP nested deeper than {limits.zip_max_depth} levels; not unpacked")
        return doc
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        doc.errors.append(f"corrupt: damaged or truncated ZIP ({exc})")
        return doc

    sections: list[str] = []
    names: list[str] = []
    total = 0
    members = [i for i in infos if not i.is_dir() and not i.filename.startswith(_SKIP_PREFIXES)
               and i.filename.rsplit("/", 1)[-1] not in _SKIP_NAMES]
    if len(members) > limits.zip_max_members:
        doc.errors.append(f"too_large: {len(members)} members; the first {limits.zip_max_members} read "
                          "(limit zip_max_members)")
        members = members[: limits.zip_max_members]
    with z:
        for info in members:
            mname = member_name(info)
            names.append(mname)
            if info.flag_bits & 0x1:
                doc.errors.append(f"encrypted: {mname}: password-protected ZIP member")
                continue
            if info.file_size > 1_000_000 and info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
                doc.errors.append(f"too_large: {mname}: compression ratio above {limits.zip_max_ratio} "
                                  "(a ZIP bomb?); not unpacked")
                continue
            budget = min(limits.zip_max_member_bytes, limits.zip_max_total_bytes - total)
            try:
                blob = _read_capped(z, info, budget)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
                doc.errors.append(f"corrupt: {mname}: {exc}"[:300])
                continue
            if blob is None:
                doc.errors.append(f"too_large: {mname}: inflates beyond {budget:,} bytes; not read")
                continue
            total += len(blob)
            part = read_document(blob, mname.rsplit("/", 1)[-1], limits=limits, _depth=depth + 1)
            part.name = mname
            doc.parts.append(part)
            doc.errors.extend(_reason_first(mname, e) for e in part.errors)
            if part.text:
                sections.append(f"【{mname}】\n{part.text}")
    doc.meta["members"] = names
    doc.needs_ocr = any(p.needs_ocr for p in doc.parts)
    doc.text = "\n".join(sections)
    return doc


def _read_capped(z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | None:
    """The member's bytes, or None once more than `budget` come out (the header's size can lie)."""
    out = bytearray()
    with z.open(info) as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                return bytes(out)
            out += chunk
            if len(out) > budget:
                return None
