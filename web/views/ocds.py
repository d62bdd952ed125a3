"""The OCDS remote-compute extension as OCDS tools fetch it: /ocds/extension/extension.json (the metadata
the export's `extensions[]` names), release-schema.json beside it (extension.json names its schemas relative
to itself), and the documentation at /ocds/extension/ (the extension's README, as text)."""

from __future__ import annotations

import os

from fastapi import Request
from fastapi.responses import Response

from storage.config import PUBLIC_URL_ENV, public_url
from storage.exports.ocds import EXTENSION_DIR, EXTENSION_PATH, EXTENSION_SCHEMA, extension_metadata
from web.views.common import base_url, json_response, page_router

router = page_router()
CACHE = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}  # tools fetch it cross-site


@router.get(EXTENSION_PATH + "extension.json", tags=["ocds"], summary="The computeFindings extension's metadata")
def extension_json(request: Request):
    # The configured public URL, not the request's Host header: the answer is cached publicly.
    response = json_response(extension_metadata(public_url() if os.environ.get(PUBLIC_URL_ENV) else base_url(request)))
    response.headers.update(CACHE)
    return response


@router.get(EXTENSION_PATH + "release-schema.json", tags=["ocds"],
            summary="The computeFindings extension's patch to the OCDS release schema")
def extension_schema():
    return Response(EXTENSION_SCHEMA.read_bytes(), media_type="application/json", headers=CACHE)


@router.get(EXTENSION_PATH, include_in_schema=False)
def extension_documentation():
    return Response((EXTENSION_DIR / "README.md").read_bytes(), media_type="text/plain; charset=utf-8",
                    headers=CACHE)
