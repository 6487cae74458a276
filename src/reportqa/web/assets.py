"""The pages' static files with caching headers that let a browser keep them, yet never go stale.

The pages (index.html at `/`, library.html at `/library`) name their scripts, style sheet
and icons with a content hash (`app.js?v=3f2a9c01d4`), filled in here as a page is served.
A hashed URL never changes content, so it may be cached for a year (`immutable`); the
pages themselves and any unhashed URL are `no-cache` (kept, but revalidated with their ETag
on every use), so an upgrade shows at once without anyone clearing a cache. Compression is
the app's GZip middleware.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# A year: the longest max-age caches honour; a hashed URL never needs revalidating.
VERSIONED = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Local asset references in a page: src="app.js", href="style.css", href="favicon.svg".
_ASSET_REF = re.compile(r'(?P<attr>\b(?:src|href))="(?P<name>[\w.-]+\.(?:js|css|svg|ico|png))"')
_HASH_CHARS = 10
# Pages served at a clean URL, without their `.html`: `/library` is the library page.
PAGES = {"library": "library.html"}


class PageFiles(StaticFiles):
    """`StaticFiles` for the pages: their HTML with hashed asset URLs, and Cache-Control on everything."""

    def __init__(self, *, directory: Path) -> None:
        super().__init__(directory=directory, html=True)
        self._root = Path(directory)
        self._hashes: dict[str, tuple[int, int, str]] = {}  # name -> (mtime_ns, size, hash)

    def asset_hash(self, name: str) -> str | None:
        """A short content hash of the static file `name` (re-read only when the file changes)."""
        path = self._root / name
        try:
            stat = path.stat()
        except OSError:
            return None
        cached = self._hashes.get(name)
        if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:_HASH_CHARS]
        self._hashes[name] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def render_page(self, html: str) -> str:
        """A page with `?v=<content hash>` appended to every local asset it names."""

        def versioned(match: re.Match[str]) -> str:
            digest = self.asset_hash(match["name"])
            if digest is None:
                return match[0]
            return f'{match["attr"]}="{match["name"]}?v={digest}"'

        return _ASSET_REF.sub(versioned, html)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(PAGES.get(path, path), scope)
        if isinstance(response, FileResponse) and Path(str(response.path)).suffix == ".html":
            return self._page_response(Path(str(response.path)), scope, response.status_code)
        if response.status_code in (200, 304):
            versioned = any(part.startswith(b"v=") for part in scope.get("query_string", b"").split(b"&"))
            response.headers["Cache-Control"] = VERSIONED if versioned else REVALIDATE
        return response

    def _page_response(self, path: Path, scope: Scope, status: int) -> Response:
        body = self.render_page(path.read_text(encoding="utf-8")).encode("utf-8")
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": REVALIDATE}
        request_headers = dict(scope.get("headers", []))
        if status == 200 and request_headers.get(b"if-none-match", b"").decode("latin-1") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, status_code=status, headers=headers, media_type="text/html; charset=utf-8")
