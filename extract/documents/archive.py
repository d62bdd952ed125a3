"""Archives: ZIP (Python's zipfile), RAR 4/5 and 7z (libarchive through libarchive-c). Each member is read by
`read_document` into `parts`; the archive's text is the members' texts, each under its 【name】 banner, and its
title is the first member's title (a member name is a file name, never the notice's title).

One set of guards for every format: member count, inflated size counted while reading (per member and in
total), compression ratio (a bomb), nesting depth (archives inside archives), and password protection
(`encrypted`). Nothing is written to disk, so a member name with `..` or an absolute path cannot escape
anywhere; it is still cut to its safe relative form before it is shown. Member names written by Chinese
Windows archivers are GB18030 without the UTF-8 flag; zipfile reads those as CP437 mojibake and libarchive
as raw bytes, so they are re-decoded here."""

from __future__ import annotations

import io
import zipfile
from typing import Callable, Iterator, Optional

from extract.types import DocumentText

from .encoding import plausibility
from .limits import Limits

_SKIP_PREFIXES = ("__MACOSX/",)
_SKIP_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
_CHUNK = 1 << 16
_SMALL = 1_000_000  # below this many inflated bytes the ratio is not asked (tiny files compress well)
_LABEL = {"zip": "ZIP", "rar": "RAR", "7z": "7z"}


def decode_name(raw: bytes) -> str:
    """A member name from bytes of unknown encoding: UTF-8 (often written without its flag), else
    GB18030 or Big5 when that reads as Chinese, else the bytes as CP437 (what zipfile would show)."""
    if raw.isascii():
        return raw.decode("ascii")
    for codec in ("utf-8", "gb18030", "big5hkscs"):
        try:
            name = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8" or plausibility(name) >= 0.5:
            return name
    return raw.decode("cp437")


def member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:  # the UTF-8 flag: zipfile already decoded it right
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return decode_name(raw)


def safe_name(name: str) -> str:
    """The member's path without drive letters, absolute roots, `.` and `..`: `../../etc/x` → `etc/x`."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":
        parts = parts[1:]
    return "/".join(parts)


def _reason_first(member: str, err: str) -> str:
    reason, sep, detail = err.partition(": ")
    return f"{reason}: {member}: {detail}" if sep else f"{err}: {member}"


def _first_line(text: str) -> Optional[str]:
    """A document's first line, without Markdown heading marks (text exports of notices begin "# title")."""
    return next((line.strip().lstrip("#").strip() for line in text.splitlines() if line.strip("# \t")), None)


class _Unpacker:
    """Collects members into one archive DocumentText, applying the limits the same way for every format."""

    def __init__(self, fmt: str, data: bytes, name: str, limits: Limits, depth: int, read_document: Callable):
        self.fmt, self.label, self.limits, self.depth, self.read = fmt, _LABEL[fmt], limits, depth, read_document
        self.size = len(data)
        self.doc = DocumentText(text="", kind=fmt, name=name, meta={"format": fmt})
        self.sections: list[str] = []
        self.names: list[str] = []
        self.total = 0

    def too_deep(self) -> bool:
        if self.depth >= self.limits.zip_max_depth:
            self.doc.errors.append(f"too_large: archive nested deeper than {self.limits.zip_max_depth} levels; "
                                   "not unpacked")
            return True
        return False

    @staticmethod
    def skipped(name: str) -> bool:
        return name.startswith(_SKIP_PREFIXES) or name.rsplit("/", 1)[-1] in _SKIP_NAMES

    def full(self) -> bool:
        """True once the member limit is reached (the error is added once)."""
        if len(self.names) < self.limits.zip_max_members:
            return False
        self.doc.errors.append(f"too_large: more than {self.limits.zip_max_members} members; the first "
                               f"{self.limits.zip_max_members} read (limit zip_max_members)")
        return True

    def budget(self) -> int:
        return min(self.limits.zip_max_member_bytes, self.limits.zip_max_total_bytes - self.total)

    def bomb(self, name: str, size: Optional[int], packed: Optional[int]) -> bool:
        """A member whose declared size is beyond the ratio to its packed size (or, when the format does not
        say, to the whole archive's size)."""
        if size is None or size <= _SMALL or size <= self.limits.zip_max_ratio * max(packed or self.size, 1):
            return False
        self.doc.errors.append(f"too_large: {name}: compression ratio above {self.limits.zip_max_ratio} "
                               "(an archive bomb?); not unpacked")
        return True

    def encrypted(self, name: str) -> None:
        self.doc.errors.append(f"encrypted: {name}: password-protected {self.label} member")

    def add(self, name: str, blob: Optional[bytes], budget: int) -> None:
        if blob is None:
            self.doc.errors.append(f"too_large: {name}: inflates beyond {budget:,} bytes; not read")
            return
        self.total += len(blob)
        part = self.read(blob, name.rsplit("/", 1)[-1], limits=self.limits, _depth=self.depth + 1)
        part.name = name
        self.doc.parts.append(part)
        self.doc.errors.extend(_reason_first(name, e) for e in part.errors)
        if part.text:
            self.sections.append(f"【{name}】\n{part.text}")
            if self.doc.title is None:
                self.doc.title = part.title or _first_line(part.text)

    def finish(self) -> DocumentText:
        self.doc.meta["members"] = self.names
        self.doc.needs_ocr = any(p.needs_ocr for p in self.doc.parts)
        self.doc.text = "\n".join(self.sections)
        return self.doc


def read_zip(data: bytes, name: str, limits: Limits, depth: int, read_document: Callable) -> DocumentText:
    u = _Unpacker("zip", data, name, limits, depth, read_document)
    if u.too_deep():
        return u.doc
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        u.doc.errors.append(f"corrupt: damaged or truncated ZIP ({exc})")
        return u.doc
    with z:
        for info in infos:
            if info.is_dir() or u.skipped(info.filename):
                continue
            if u.full():
                break
            mname = safe_name(member_name(info))
            u.names.append(mname)
            if info.flag_bits & 0x1:
                u.encrypted(mname)
                continue
            if u.bomb(mname, info.file_size, info.compress_size):
                continue
            budget = u.budget()
            try:
                blob = _read_capped(z.open(info), budget)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
                u.doc.errors.append(f"corrupt: {mname}: {exc}"[:300])
                continue
            u.add(mname, blob, budget)
    return u.finish()


def _read_capped(f, budget: int) -> bytes | None:
    """The member's bytes, or None once more than `budget` come out (the header's size can lie)."""
    out = bytearray()
    with f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                return bytes(out)
            out += chunk
            if len(out) > budget:
                return None


def _blocks_capped(blocks: Iterator[bytes], budget: int) -> bytes | None:
    out = bytearray()
    for chunk in blocks:
        out += chunk
        if len(out) > budget:
            return None
    return bytes(out)


def _entry_encrypted(entry) -> bool:
    import ctypes

    from libarchive import ffi

    fn = ffi.libarchive.archive_entry_is_encrypted
    fn.argtypes, fn.restype = [ctypes.c_void_p], ctypes.c_int
    return bool(fn(entry._entry_p))


def read_rar_7z(data: bytes, name: str, fmt: str, limits: Limits, depth: int, read_document: Callable) -> DocumentText:
    """RAR (4 and 5) and 7z through libarchive, streamed entry by entry (a solid archive is read in order)."""
    u = _Unpacker(fmt, data, name, limits, depth, read_document)
    if u.too_deep():
        return u.doc
    if fmt == "7z" and (damage := _7z_header_damage(data)):
        u.doc.errors.append(f"corrupt: damaged or truncated 7z ({damage})")
        return u.doc
    try:
        import libarchive
    except (ImportError, OSError) as exc:  # libarchive-c installed but the C library missing
        u.doc.errors.append(f"unsupported: {u.label} archive: libarchive is not available ({exc})"[:300])
        return u.doc
    mname = ""
    try:
        with libarchive.memory_reader(data, format_name="rar5" if data[6:7] == b"\x01" else
                                      "rar" if fmt == "rar" else "7zip") as archive:
            for entry in archive:
                raw = entry.pathname or ""
                mname = safe_name(decode_name(raw) if isinstance(raw, bytes) else raw)
                if not entry.isfile or u.skipped(mname):
                    continue
                if u.full():
                    break
                u.names.append(mname)
                if _entry_encrypted(entry):
                    u.encrypted(mname)
                    continue
                if u.bomb(mname, entry.size, None):
                    continue
                budget = u.budget()
                u.add(mname, _blocks_capped(entry.get_blocks(), budget), budget)
                mname = ""
        if not u.names and not u.doc.errors:  # a real archive has members; libarchive is quiet on a cut header
            u.doc.errors.append(f"corrupt: damaged or truncated {u.label} (no members found)")
    except libarchive.ArchiveError as exc:
        msg = str(getattr(exc, "msg", None) or "unreadable header").split(" (errno=")[0]
        if "encrypt" in msg.lower() or "passphrase" in msg.lower():
            where = f"{mname}: password-protected {u.label} member" if mname else \
                f"password-protected {u.label} archive (its file list is encrypted too)"
            u.doc.errors.append(f"encrypted: {where}")
        else:
            where = f"{mname}: " if mname else ""
            u.doc.errors.append(f"corrupt: {where}damaged or truncated {u.label} ({msg})"[:300])
    return u.finish()


def _7z_header_damage(data: bytes) -> str | None:
    """libarchive takes a 7z whose start header is zeroed or cut for an empty archive; its CRC and the
    header position it gives say otherwise."""
    import struct
    import zlib

    if len(data) < 32:
        return "shorter than its 32-byte signature header"
    crc, offset, size = struct.unpack_from("<IQQ", data, 8)
    if zlib.crc32(data[12:32]) != crc:
        return "signature header CRC mismatch"
    if 32 + offset + size > len(data):
        return f"cut short: the file list lies beyond its {len(data):,} bytes"
    return None
