"""/notices/{id}/raw and /attachments/{id}/raw: the stored bytes, never rendered as the scraped site's HTML —
a download (octet-stream, attachment, sandboxed), or with ?text=1 the bytes decoded as text/plain."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage.reading import attachment_ref, notice_ref
from web.security import SANDBOX_CSP
from web.views.common import not_found, page_router, reading

router = page_router()

_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)
_EXT = {"text/html": ".html", "application/pdf": ".pdf", "text/plain": ".txt", "application/json": ".json",
        "application/zip": ".zip", "application/msword": ".doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
        "application/vnd.ms-excel": ".xls"}


@router.get("/notices/{notice_id}/raw", tags=["notices"], summary="The stored raw copy, as a download",
            response_class=Response)
def notice_raw(request: Request, notice_id: int, as_text: bool = Query(False, alias="text")):
    with reading(request) as conn:
        ref = notice_ref(conn, notice_id)
    if ref is None:
        raise not_found(f"There is no notice {notice_id}.")
    return _raw_response(request, ref["raw_sha256"], ref["raw_content_type"], f"notice-{notice_id}", as_text)


@router.get("/attachments/{attachment_id}/raw", tags=["notices"],
            summary="An attachment's stored bytes, as a download", response_class=Response)
def attachment_raw(request: Request, attachment_id: int, as_text: bool = Query(False, alias="text")):
    with reading(request) as conn:
        ref = attachment_ref(conn, attachment_id)
    if ref is None:
        raise not_found(f"There is no attachment {attachment_id}.")
    if as_text:
        return Response(ref["text"] or "", media_type="text/plain; charset=utf-8",
                        headers={"Content-Security-Policy": SANDBOX_CSP})
    return _raw_response(request, ref["sha256"], ref["content_type"], ref["name"] or f"attachment-{attachment_id}", False)


def _raw_response(request: Request, sha: str | None, content_type: str | None, name: str, as_text: bool) -> Response:
    from storage.blobs import BlobNotFound

    if not sha:
        raise StarletteHTTPException(404, "No raw copy of this document was stored.")
    try:
        data = request.app.state.blobs.get(sha)
    except (BlobNotFound, ValueError):
        raise StarletteHTTPException(404, "The raw copy is not in this installation's data folder.") from None
    headers = {"Content-Security-Policy": SANDBOX_CSP, "X-Content-Type-Options": "nosniff"}
    if as_text:
        return Response(_decode(data, content_type), media_type="text/plain; charset=utf-8", headers=headers)
    ctype = (content_type or "").split(";")[0].strip().lower()
    filename = _SAFE_NAME.sub("_", name).strip("._") or "download"
    if "." not in filename[-6:]:
        filename += _EXT.get(ctype, ".bin")
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type="application/octet-stream", headers=headers)


def _decode(data: bytes, content_type: str | None) -> str:
    m = re.search(r"charset=([\w\-]+)", content_type or "", re.I)
    candidates = [m.group(1)] if m else []
    head = data[:2048].decode("ascii", "ignore")
    m = re.search(r"charset=[\"']?([\w\-]+)", head, re.I)
    if m:
        candidates.append(m.group(1))
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return data.decode("gb18030" if enc.lower() in ("gb2312", "gbk") else enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")
