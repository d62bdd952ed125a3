"""Archives as Chinese portals serve them, written byte by byte where no free tool writes them: ZIPs whose
member names are GB18030 without the UTF-8 flag (Windows' Chinese-locale archivers; Python's zipfile always
writes UTF-8), and RAR 4 / RAR 5 archives (`rar` is non-free) in RAR's "store" method — real RAR files that
libarchive, unar and rarfile read, just uncompressed. 7z comes from py7zr (a real 7-Zip writer, LZMA2).

Used by the replica's file generator, the document test fixtures and the rendition benchmark, so all three
exercise the same bytes. Deterministic: a fixed timestamp, no randomness."""

from __future__ import annotations

import io
import struct
import zlib

_DOS_DATE = (2026 - 1980) << 9 | 9 << 5 | 1  # 2026-09-01
_DOS_TIME = 0


def zip_with_gbk_names(members: dict[str, bytes]) -> bytes:
    """A deflated ZIP whose names are GB18030 bytes with the UTF-8 flag unset."""
    local, central, offset = [], [], 0
    for name, data in members.items():
        fname = name.encode("gb18030")
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        cdata = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data)
        hdr = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, _DOS_TIME, _DOS_DATE, crc, len(cdata), len(data),
                          len(fname), 0) + fname
        local.append(hdr + cdata)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, _DOS_TIME, _DOS_DATE, crc,
                                   len(cdata), len(data), len(fname), 0, 0, 0, 0, 0, offset) + fname)
        offset += len(hdr) + len(cdata)
    cd = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), offset, 0)
    return b"".join(local) + cd + end


def _rar4_block(head_type: int, flags: int, body: bytes) -> bytes:
    size = 7 + len(body)
    head = struct.pack("<BHH", head_type, flags, size) + body
    return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head


def _rar4_unicode_name(name: str) -> bytes:
    """RAR 4's FHD_UNICODE name field: an ASCII fallback, NUL, then the UTF-16 name in its packed form
    (a high byte, then per four characters a flag byte 0xAA = "two literal bytes" for each)."""
    fallback = name.encode("ascii", "replace")
    units = name.encode("utf-16-le")
    packed = bytearray([0])
    for i in range(0, len(units), 8):
        packed.append(0xAA)
        packed += units[i:i + 8]
    return fallback + b"\0" + bytes(packed)


def rar4_stored(members: dict[str, bytes], *, encrypted: bool = False) -> bytes:
    """A RAR 4 archive (RAR 2.9–4.x format), each member stored. `encrypted` sets the per-file password
    flag with a salt, as `rar -p` does; the data is then not really encrypted (no free RAR encoder), which
    is enough for a reader that must refuse it as password-protected before touching the data."""
    out = bytearray(b"Rar!\x1a\x07\x00")
    out += _rar4_block(0x73, 0x0000, bytes(6))  # archive header: reserved fields
    for name, data in members.items():
        wire = name.replace("/", "\\")
        if wire.isascii():
            fname, flags = wire.encode("ascii"), 0x8000
        else:
            fname, flags = _rar4_unicode_name(wire), 0x8000 | 0x0200
        if encrypted:
            flags |= 0x0004 | 0x0400  # FHD_PASSWORD, FHD_SALT
        dos = _DOS_DATE << 16 | _DOS_TIME
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data), dos, 29, 0x30, len(fname), 0x20)
        body += fname + (bytes(range(8)) if encrypted else b"")
        out += _rar4_block(0x74, flags, body) + data
    out += _rar4_block(0x7B, 0x4000, b"")  # end of archive
    return bytes(out)


def _vint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _rar5_block(body: bytes) -> bytes:
    """`body` starts at the header type; the block is CRC32, header size, body."""
    sized = _vint(len(body)) + body
    return struct.pack("<I", zlib.crc32(sized)) + sized


def rar5_stored(members: dict[str, bytes]) -> bytes:
    """A RAR 5 archive, each member stored (compression method 0), names in UTF-8."""
    out = bytearray(b"Rar!\x1a\x07\x01\x00")
    out += _rar5_block(_vint(1) + _vint(0) + _vint(0))  # main archive header: type 1, no flags, no archive flags
    for name, data in members.items():
        fname = name.encode("utf-8")
        body = (_vint(2) + _vint(0x02) + _vint(len(data))  # file header with a data area
                + _vint(0x04) + _vint(len(data)) + _vint(0x20)  # file flags: CRC32 present; size; attributes
                + struct.pack("<I", zlib.crc32(data))
                + _vint(0) + _vint(0)  # compression info: version 0, method 0 (store); host OS Windows
                + _vint(len(fname)) + fname)
        out += _rar5_block(body) + data
    out += _rar5_block(_vint(5) + _vint(0) + _vint(0))  # end of archive
    return bytes(out)


def seven_zip(members: dict[str, bytes], *, password: str | None = None) -> bytes:
    """A real 7z archive (LZMA2) from py7zr; with `password`, contents and names AES-encrypted."""
    import py7zr
    from py7zr.helpers import ArchiveTimestamp

    buf = io.BytesIO()
    # py7zr stamps members with the current time; a fixed one keeps the replica's files reproducible.
    fixed = ArchiveTimestamp.from_datetime(1788220800.0)  # 2026-09-01 00:00 UTC
    now, ArchiveTimestamp.from_now = ArchiveTimestamp.__dict__["from_now"], staticmethod(lambda: fixed)
    try:
        with py7zr.SevenZipFile(buf, "w", password=password, header_encryption=bool(password)) as z:
            for name, data in members.items():
                z.writestr(data, name)
    finally:
        ArchiveTimestamp.from_now = now
    return buf.getvalue()


def zip_encrypted(members: dict[str, bytes], password: str = "secret") -> bytes:
    """A ZIP whose members carry the traditional PKWARE encryption flag (as WinZip/7-Zip's ZipCrypto writes
    them): the data is a real ZipCrypto stream, so readers must ask for the password."""
    out = io.BytesIO()
    local, central, offset = [], [], 0
    for name, data in members.items():
        fname = name.encode("utf-8")
        crc = zlib.crc32(data)
        cipher = _zipcrypto(password, crc, data)
        hdr = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0801, 0, _DOS_TIME, _DOS_DATE, crc, len(cipher),
                          len(data), len(fname), 0) + fname
        local.append(hdr + cipher)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x0801, 0, _DOS_TIME, _DOS_DATE, crc,
                                   len(cipher), len(data), len(fname), 0, 0, 0, 0, 0, offset) + fname)
        offset += len(hdr) + len(cipher)
    cd = b"".join(central)
    out.write(b"".join(local) + cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), offset, 0))
    return out.getvalue()


def _zipcrypto(password: str, crc: int, data: bytes) -> bytes:
    """PKWARE traditional encryption of a stored member (APPNOTE 6.1), with a fixed 12-byte header."""
    def crc32_byte(c: int, b: int) -> int:
        return zlib.crc32(bytes([b]), c ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(b: int) -> None:
        keys[0] = crc32_byte(keys[0], b)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc32_byte(keys[2], (keys[1] >> 24) & 0xFF)

    for ch in password.encode("utf-8"):
        update(ch)
    out = bytearray()
    for b in bytes(range(11)) + bytes([(crc >> 24) & 0xFF]) + data:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(b ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(b)
    return bytes(out)
