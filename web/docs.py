"""/docs: the OpenAPI description rendered by Swagger UI 5 (it reads OpenAPI 3.1, which FastAPI serves),
from files vendored in web/vendor/swagger-ui — no CDN, no network at run time. The page boots from a script
file of ours (static/api-docs.js), not an inline script, so /docs keeps script-src 'self'."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

SWAGGER_UI_VERSION = "5.35.0"  # npm swagger-ui-dist; see web/vendor/swagger-ui/README.md
ASSETS = Path(__file__).resolve().parent / "vendor" / "swagger-ui"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css?v={version}">
<link rel="icon" type="image/png" href="/docs-assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<noscript>The API description is at <a href="{openapi_url}">{openapi_url}</a> (OpenAPI 3.1 JSON).</noscript>
<script src="/docs-assets/swagger-ui-bundle.js?v={version}"></script>
<script src="{init}"></script>
</body>
</html>
"""


def mount_api_docs(app: FastAPI, init_script_url: str) -> None:
    app.mount("/docs-assets", StaticFiles(directory=ASSETS), name="docs-assets")
    html = PAGE.format(
        title=escape(f"{app.title} API"), version=SWAGGER_UI_VERSION, openapi_url=escape(app.openapi_url),
        init=escape(init_script_url),
    )

    @app.get("/docs", include_in_schema=False)
    def api_docs():
        return HTMLResponse(html)
