"""Serving the single-page app: /assets/* (content-hashed, cached for a year) and the HTML shell.

The app routes in the browser (`/traces`, `/traces/{id}`, `/login`, ...), so any GET that is
not the API, OTLP ingestion, /metrics or the API docs answers with the same `index.html`; a reload
or a shared link then lands on the right page. The shell is never cached (it names the current
asset files); the assets are immutable (a new build writes new names).

The assets are built from `ui/` by `scripts/build-ui` into `theodolite/web/static/`, which the
wheel and sdist carry. A server run from a checkout that was never built answers the UI routes
with a page that says how to build them, not a 404.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/assets"

# Paths the shell never answers: they belong to the server's own routes, and an unknown path
# under them is a JSON 404, not a page.
RESERVED_PREFIXES = ("/api", "/v1", "/metrics", "/docs", "/redoc", "/openapi.json", ASSETS_PATH)

SHELL_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Everything the UI loads comes from this server: no CDN, no inline script or <style>. React
    # sets element styles through the CSSOM (the virtual rows' positions), which CSP does not
    # govern, so style-src needs no 'unsafe-inline'. The browser tests fail on any CSP report.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Theodolite: web UI not built</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}
code,pre{{background:#f1f3f5;border-radius:4px;padding:2px 5px}}pre{{padding:10px}}</style></head>
<body><h1>The web UI is not built</h1>
<p>This Theodolite server is running, and its API, OTLP ingestion and <code>/metrics</code> work,
but the web UI's files are missing from <code>{static_dir}</code>.</p>
<p>From a checkout of the repository, build them (Node.js 20 or newer and npm are needed once):</p>
<pre>scripts/build-ui</pre>
<p>then restart the server. Installed packages (wheels) already carry the built UI.</p>
<p>The API is documented at <a href="/docs">/docs</a>.</p></body></html>
"""


class ImmutableAssets(StaticFiles):
    """Vite's output under /assets: every file name carries a content hash, so it never changes."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = ASSET_CACHE_CONTROL
        return response


def is_ui_path(path: str) -> bool:
    """Whether the shell may answer `path`: any path outside the server's own prefixes."""
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


class ShellRoute(Route):
    """A catch-all that does not even match the reserved prefixes: `POST /api/v1/nothing` stays a
    404 from the API rather than a 405 from a GET-only shell route."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not is_ui_path(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def mount_web_ui(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    """Add the UI's routes to `app`. Call it after every other router: its catch-all comes last."""
    index = static_dir / "index.html"
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount(ASSETS_PATH, ImmutableAssets(directory=assets), name="ui-assets")

    def public_file(path: str) -> Path | None:
        """A file at the root of the build (favicon.svg), never a path outside it."""
        if "/" in path or path in ("", "index.html"):
            return None
        candidate = static_dir / path
        return candidate if candidate.is_file() else None

    async def shell(request: Request) -> Response:
        root_file = public_file(request.path_params.get("path", ""))
        if root_file is not None:
            return FileResponse(root_file, headers={"Cache-Control": "public, max-age=86400"})
        if not index.is_file():
            body = NOT_BUILT_PAGE.format(static_dir=html.escape(str(static_dir)))
            return HTMLResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
        return FileResponse(index, media_type="text/html", headers=SHELL_HEADERS)

    # HEAD too: link checkers and uptime probes ask for it.
    app.router.routes.append(ShellRoute("/{path:path}", shell, methods=["GET", "HEAD"], include_in_schema=False))
