"""The site's fixed pages: /help (the search syntax), /favicon.ico, /robots.txt."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from web.views.common import STATIC, page_router, render

router = page_router()


@router.get("/help", response_class=HTMLResponse, include_in_schema=False)
def help_page(request: Request):
    return render(request, "help.html", {})


@router.get("/favicon.ico", include_in_schema=False)
def favicon():
    return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/robots.txt", include_in_schema=False)
def robots():
    return Response("User-agent: *\nDisallow: /api/\nDisallow: /feeds/\n", media_type="text/plain")
