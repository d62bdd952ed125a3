"""What a file is, judged by its bytes first; the name and Content-Type only settle what the bytes leave open
(a text file that is HTML, a damaged file that has lost its signature)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Optional

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

# Signatures of formats we recognise but do not read, with the reason given.
_OTHER_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image", "png"),
    (b"\xff\xd8\xff", "image", "jpeg"),
    (b"GIF87a", "image", "gif"),
    (b"GIF89a", "image", "gif"),
    (b"II*\x00", "image", "tiff"),
    (b"MM\x00*", "image", "tiff"),
    (b"\x1f\x8b", "archive", "gzip"),
    (b"{\\rtf", "rtf", "rtf"),
)

_BMP_HEADER_SIZES = (12, 40, 52, 56, 64, 108, 124)

_EXT_KIND = {
    "htm": "html", "html": "html", "shtml": "html", "xhtml": "html", "jsp": "html", "aspx": "html",
    "pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "xlsm": "xlsx", "doc": "doc", "xls": "doc", "wps": "doc",
    "et": "doc", "dps": "doc", "zip": "zip", "rar": "rar", "7z": "7z",
    "jpg": "image", "jpeg": "image", "png": "image", "tif": "image", "tiff": "image", "bmp": "image",
    "txt": "text", "text": "text", "csv": "text", "md": "text", "json": "text",
}
_CT_KIND = (
    ("html", "html"), ("pdf", "pdf"), ("wordprocessingml", "docx"), ("spreadsheetml", "xlsx"),
    ("msword", "doc"), ("ms-excel", "doc"), ("kswps", "doc"), ("x-7z", "7z"), ("rar", "rar"), ("zip", "zip"),
    ("text/plain", "text"), ("image/", "image"),
)

_HTML_RE = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|table|p|br|span|script|style)[\s>/]", re.I
)


@dataclass
class Sniffed:
    kind: str  # html pdf docx xlsx doc zip rar 7z text empty unknown
    detail: str = ""  # e.g. "xls" for an OLE workbook, "png" for an image
    hinted: Optional[str] = None  # the kind the name / Content-Type suggest, if any


def kind_from_hints(name: str = "", content_type: Optional[str] = None) -> Optional[str]:
    if name and "." in name:
        ext = name.rsplit(".", 1)[1].lower()
        if ext in _EXT_KIND:
            return _EXT_KIND[ext]
    if content_type:
        ct = content_type.lower()
        for needle, kind in _CT_KIND:
            if needle in ct:
                return kind
    return None


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except Exception:
        return "zip"  # unreadable: the ZIP reader reports it
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _ole_detail(data: bytes) -> str:
    # Directory entry names are UTF-16LE; looking for them avoids a full OLE parser just to name the file.
    head = data[:1 << 20]
    if "EncryptedPackage".encode("utf-16-le") in head:
        return "encrypted_ooxml"
    if "WordDocument".encode("utf-16-le") in head:
        return "doc"
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return "xls"
    if "PowerPoint Document".encode("utf-16-le") in head:
        return "ppt"
    return "ole"


def sniff(data: bytes, name: str = "", content_type: Optional[str] = None) -> Sniffed:
    hinted = kind_from_hints(name, content_type)
    if not data:
        return Sniffed("empty", hinted=hinted)
    head = data[:1024]
    if b"%PDF-" in head:
        return Sniffed("pdf", hinted=hinted)
    if data.startswith(OLE_MAGIC):
        return Sniffed("doc", _ole_detail(data), hinted)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        kind = _zip_kind(data)
        # An unreadable ZIP named .docx/.xlsx is reported as the damaged document it was meant to be.
        return Sniffed(hinted if kind == "zip" and hinted in ("docx", "xlsx") else kind, hinted=hinted)
    if data.startswith(b"Rar!\x1a\x07"):  # RAR 4 (…\x00) and RAR 5 (…\x01\x00)
        return Sniffed("rar", "rar5" if data[6:7] == b"\x01" else "rar4", hinted)
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return Sniffed("7z", hinted=hinted)
    if data[:2] == b"BM" and len(data) >= 26 and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return Sniffed("unknown", "image:bmp", hinted)  # "BM" alone is too weak: the DIB header size agrees
    for magic, kind, detail in _OTHER_MAGIC:
        if data.startswith(magic):
            return Sniffed("unknown", f"{kind}:{detail}", hinted)
    # Text of some kind, or binary junk: the decoder decides which (see textish()).
    stripped = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_RE.search(stripped[:4096]) and (
        stripped[:1] == b"<" or hinted == "html" or len(_HTML_RE.findall(data[:65536])) >= 3
    ):
        return Sniffed("html", hinted=hinted)
    if stripped[:4].lower() in (b"<\x00h\x00", b"\x00<\x00h"):  # UTF-16 HTML
        return Sniffed("html", hinted=hinted)
    return Sniffed("text", hinted=hinted)
