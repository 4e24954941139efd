"""What Grafana's server is to a frontend data source plugin, for browser tests: it serves a page
(the plugin's editor harness, grafana-plugin/harness) and, as Grafana's data source proxy,
forwards `/api/datasources/proxy/uid/<uid>/<route path>/...` to the data source URL with the
headers of the matching plugin.json route, `{{ .SecureJsonData.x }}` and
`{{ .JsonData.x | orEmpty }}` filled in. The secret stays here, never in the page; the
Theodolite server behind it is real."""

from __future__ import annotations

import json
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROUTE_TEMPLATE = re.compile(r"\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*(\|\s*orEmpty\s*)?\}\}")


@dataclass
class ProxiedDataSource:
    uid: str
    url: str  # the data source's URL setting: where the proxy forwards
    routes: list[dict]  # plugin.json's `routes`
    json_data: dict[str, str] = field(default_factory=dict)
    secure_json_data: dict[str, str] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        """Go's text/template over Grafana's template data, for the forms plugin.json routes use."""

        def value(match: re.Match[str]) -> str:
            bag, key, or_empty = match.groups()
            if bag == "SecureJsonData":
                return self.secure_json_data.get(key, "")
            found = self.json_data.get(key)
            # A missing key of a map[string]any prints "<no value>" unless piped through orEmpty.
            return ("" if or_empty else "<no value>") if found is None else str(found)

        return ROUTE_TEMPLATE.sub(value, template)

    def target(self, proxy_path: str) -> tuple[str, dict[str, str]]:
        """Where Grafana's proxy sends `<proxy url>/<proxy_path>`, and with which headers."""
        headers: dict[str, str] = {}
        url = f"{self.url.rstrip('/')}/{proxy_path}"
        for route in self.routes:
            if proxy_path.startswith(route["path"]):
                if route.get("url"):
                    rest = proxy_path[len(route["path"]) :].lstrip("/")
                    url = f"{self.fill(route['url']).rstrip('/')}/{rest}"
                headers.update({h["name"]: self.fill(h["content"]) for h in route.get("headers", [])})
                break
        return url, headers


class GrafanaProxy:
    """A ThreadingHTTPServer on 127.0.0.1: folders served under URL prefixes (`static`, the first
    holding a file wins), the data source behind its proxy URL. Every proxied request is logged as
    (method, path, headers the page sent)."""

    def __init__(self, data_source: ProxiedDataSource, static: list[tuple[str, Path]]) -> None:
        self.data_source = data_source
        self.static = static
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._client = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def proxy_prefix(self) -> str:
        return f"/api/datasources/proxy/uid/{self.data_source.uid}/"

    def start(self) -> GrafanaProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
                path = self.path
                if path.startswith(proxy.proxy_prefix):
                    proxy.requests.append(("GET", path, dict(self.headers.items())))
                    self._forward(path[len(proxy.proxy_prefix) :])
                else:
                    self._static(path.split("?")[0])

            def _forward(self, proxy_path: str) -> None:
                url, headers = proxy.data_source.target(proxy_path)
                try:
                    response = proxy._client.get(url, headers={"Accept": "application/json", **headers})
                except httpx.HTTPError as error:
                    # Grafana's proxy answers 502 when nothing answers at the data source URL.
                    self._send(502, "application/json", json.dumps({"message": str(error)}).encode())
                    return
                self._send(response.status_code, response.headers.get("content-type", ""), response.content)

            def _static(self, path: str) -> None:
                for prefix, directory in proxy.static:
                    if not path.startswith(prefix):
                        continue
                    name = path[len(prefix) :].lstrip("/") or "index.html"
                    candidate = (directory / name).resolve()
                    if candidate.is_file() and candidate.is_relative_to(directory.resolve()):
                        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
                        self._send(200, content_type, candidate.read_bytes())
                        return
                self._send(404, "text/plain", b"not found")

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (http.server's signature)
                pass  # the test reads `requests`, not stderr

        return Handler
