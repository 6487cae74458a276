"""`/docs`: the API's Swagger UI, served from the package itself so it works with no network.

FastAPI's own `/docs` loads Swagger UI from a CDN and starts it with an inline script; the
app's Content-Security-Policy (`script-src 'self'`) blocks both, and offline there is no CDN
anyway, so the page was blank. This page names only files the app serves (static/docs/:
the vendored `swagger-ui-dist` bundle and a small `docs.js` that starts it), with content
hashes in their URLs like the main page, and runs under the same strict policy.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from reportqa.web.assets import REVALIDATE, PageFiles

# Relative to the static folder; served by the page's static mount at "/".
DOCS_ASSETS = ("docs/swagger-ui.css", "docs/swagger-ui-bundle.js", "docs/docs.js")

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>reportqa API</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{css}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""


def docs_router(files: PageFiles) -> APIRouter:
    """The `/docs` page; `files` gives the content hashes of the static files it names."""
    router = APIRouter(include_in_schema=False)

    def url(name: str) -> str:
        digest = files.asset_hash(name)
        return f"/{name}?v={digest}" if digest else f"/{name}"

    @router.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        css, bundle, init = (url(name) for name in DOCS_ASSETS)
        return HTMLResponse(_PAGE.format(css=css, bundle=bundle, init=init), headers={"Cache-Control": REVALIDATE})

    return router
