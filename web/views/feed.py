"""/feeds/search.atom: any search as an Atom feed (web/feeds.py writes it)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from web import feeds
from web.views.common import base_url, page_router, searcher
from web.views.search import params_of

router = page_router()


@router.get("/feeds/search.atom", tags=["search"], summary="Atom feed of a search, newest first (an alert)",
            response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def feed(request: Request):
    xml = feeds.search_feed(params_of(request), searcher(request), base_url(request))
    return Response(xml, media_type="application/atom+xml; charset=utf-8")
