"""Bytes → `DocumentText`: HTML (the ccgp page shell or another site's main content), PDF, DOCX, legacy Word
.doc and Kingsoft .wps (through LibreOffice), XLSX and .xls/.et, ZIP, RAR, 7z and plain text, in whatever
Chinese encoding. `read_document` never raises: a file it cannot read comes back with `errors` filled, each
entry `reason: detail` with the reason first:

    empty              no bytes, or no text in them
    corrupt            damaged or truncated file (or one whose name promises a format its bytes lack)
    encrypted          needs a password (the empty password is tried first)
    needs_ocr          no usable text layer and OCR did not read it (TENDERWATCH_OCR=0, no engine, or a
                       garbled font the file does not embed); scans and photos are otherwise read by OCR
                       (extract/documents/ocr.py: `DocumentText.ocr`, `meta["ocr_lines"]`)
    ocr_timeout        OCR's time budget per document (`Limits.ocr_seconds`) ran out; the pages read are kept
    too_large          a limit in `Limits` cut the document short; what was read is kept
    unsupported        a format not read here (PowerPoint, gzip, images …), or its converter is not installed
    converter_timeout  an external converter (LibreOffice) did not finish within `Limits.converter_timeout`
    converter_failed   an external converter crashed, ran out of memory or could not read the file
    failed             a reader crashed on this file (a bug: the detail names the exception)
"""

from __future__ import annotations

import re
from typing import Optional

from extract.types import DocumentText

from .encoding import decode, declared_charset
from .limits import DEFAULT_LIMITS, Limits
from .sniff import sniff

__all__ = ["read_document", "format_of", "Limits", "DEFAULT_LIMITS"]

_HTML_TEXT_RE = re.compile(r"^\s*<\s*(!doctype\s+html|html|head|body)[\s>]", re.I)
_UNSUPPORTED = {
    "ppt": "PowerPoint presentation (.ppt, .dps)",
    "ole": "OLE compound file of unknown type",
}


def read_document(
    data: bytes, name: str = "", content_type: Optional[str] = None, *, limits: Limits = DEFAULT_LIMITS, _depth: int = 0
) -> DocumentText:
    """The text of one file. `name` and `content_type` are hints: the bytes decide the kind."""
    kind = "unknown"
    try:
        if isinstance(data, str):  # a caller holding decoded text: no charset question left
            data = data.encode("utf-8")
        elif not isinstance(data, bytes):
            data = bytes(data)  # bytearray, memoryview
        s = sniff(data, name, content_type)
        kind = s.kind
        doc = _dispatch(data, name, content_type, s, limits, _depth)
        if s.hinted and doc.kind != s.hinted and s.hinted not in ("html", "text") and doc.kind != "empty":
            # e.g. a "PDF" download that is an error or login page, a ".wps" that is a ZIP: read as what it
            # is, said here
            doc.meta["kind_mismatch"] = f"named or served as {s.hinted}, but the bytes are {doc.kind}"
    except Exception as exc:  # last line of defence: one bad file must not stop a crawl
        doc = DocumentText(text="", kind=kind, name=name)
        doc.errors.append(f"failed: {kind} reader raised {type(exc).__name__}: {str(exc)[:200]}")
    if len(doc.text) > limits.max_text_chars:
        doc.text = doc.text[: limits.max_text_chars]
        doc.errors.append(f"too_large: text cut at {limits.max_text_chars:,} characters")
    if not doc.text.strip() and not doc.errors and not doc.parts:
        doc.errors.append(f"empty: no text found in the {doc.kind} file")
    return doc


def format_of(doc: DocumentText) -> str:
    """What a read file is, for people: doc, wps, xls, docx, pdf, rar, 7z, zip, png, jpeg … (the format a
    reader recorded in `meta["format"]`, else the document kind)."""
    return str(doc.meta.get("format") or doc.kind)


def _dispatch(data: bytes, name: str, content_type: Optional[str], s, limits: Limits, depth: int) -> DocumentText:
    kind = s.kind
    if kind == "empty":
        return DocumentText(text="", kind="empty", name=name, errors=["empty: the file has no bytes"])

    if len(data) > limits.max_bytes:
        if kind in ("html", "text"):
            data = data[: limits.max_bytes]  # text formats can be read in part
            cut = f"too_large: {len(data):,} bytes read of a larger file (limit {limits.max_bytes:,})"
        else:
            return DocumentText(text="", kind=kind, name=name, errors=[
                f"too_large: {len(data):,} bytes exceeds the {limits.max_bytes:,}-byte limit; not read"])
    else:
        cut = None

    if kind == "pdf":
        from .pdf import read_pdf
        doc = read_pdf(data, name, limits)
    elif kind == "docx":
        from .office import read_docx
        doc = read_docx(data, name, limits)
    elif kind == "xlsx":
        from .office import read_xlsx
        doc = read_xlsx(data, name, limits)
    elif kind == "zip":
        from .archive import read_zip
        doc = read_zip(data, name, limits, depth, read_document)
    elif kind in ("rar", "7z"):
        from .archive import read_rar_7z
        doc = read_rar_7z(data, name, kind, limits, depth, read_document)
    elif kind == "doc":
        if s.detail == "xls":
            from .office import read_xls
            doc = read_xls(data, name, limits)
            if name.lower().endswith(".et"):  # Kingsoft Spreadsheets writes the Excel 97 format
                doc.meta["format"] = "et"
        elif s.detail == "doc":  # Word 97-2003, or Kingsoft Writer's .wps (the same binary format)
            from .legacy import read_word_binary
            doc = read_word_binary(data, name, "wps" if name.lower().endswith(".wps") else "doc", limits)
        elif s.detail == "encrypted_ooxml":
            doc = DocumentText(text="", kind="doc", name=name, meta={"format": "ooxml"},
                               errors=["encrypted: password-protected Office file (DOCX/XLSX in an OLE wrapper)"])
        else:
            doc = DocumentText(text="", kind="doc", name=name, meta={"format": s.detail},
                               errors=[f"unsupported: {_UNSUPPORTED.get(s.detail, s.detail)}"])
    elif kind == "unknown":
        doc = _unknown(s, data, name, limits)
    else:  # html or text: decode first, then look again (UTF-16 HTML is only recognisable decoded)
        from .encoding import plausibility
        declared = declared_charset(data, content_type, html=(kind == "html"))
        decoded = decode(data, declared)
        if kind == "text" and _is_binary(decoded, plausibility):
            doc = _garbage(s, name, len(data))
        elif kind == "html" or _HTML_TEXT_RE.match(decoded.text[:1024].lstrip("\ufeff")):
            if kind != "html" and declared is None:
                decoded.declared = declared_charset(decoded.text[:8192].encode("ascii", "ignore"), html=True)
            from .html import read_html
            doc = read_html(decoded, name)
        else:
            from .plaintext import read_text
            doc = read_text(decoded, name)
    if cut:
        doc.errors.append(cut)
    return doc


_BINARY_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _is_binary(decoded, plausibility) -> bool:
    text = decoded.text[:20000]
    if not text:
        return False
    if decoded.replaced + len(_BINARY_CONTROL_RE.findall(text)) > 0.02 * len(text):
        return True
    # Junk can decode cleanly as GB18030 or Big5 (hardly ever as UTF-8); real Chinese text is mostly
    # common characters.
    if decoded.encoding in ("gb18030", "big5hkscs"):
        return plausibility(text) < 0.3
    return False


def _garbage(s, name: str, size: int) -> DocumentText:
    if s.hinted and s.hinted not in ("text", "html"):
        return DocumentText(text="", kind=s.hinted, name=name, errors=[
            f"corrupt: named as {s.hinted} but the {size:,} bytes carry no {s.hinted} signature"])
    return DocumentText(text="", kind="unknown", name=name, errors=[
        f"unsupported: unrecognised binary data ({size:,} bytes), neither text nor a known document format"])


def _unknown(s, data: bytes, name: str, limits: Limits) -> DocumentText:
    family, _, fmt = s.detail.partition(":")
    if family == "image":  # a photo or scan of a page: OCR (or needs_ocr when OCR is off)
        from .ocr import read_image
        return read_image(data, name, limits)
    doc = DocumentText(text="", kind="unknown", name=name, meta={"format": fmt})
    if family == "archive":
        doc.errors.append(f"unsupported: {fmt} archive (ZIP, RAR and 7z are unpacked)")
    else:
        doc.errors.append(f"unsupported: {fmt} file")
    return doc
