"""The web UI: the built single-page app (static assets) and the HTML shell every UI route answers."""

from theodolite.web.shell import RESERVED_PREFIXES, STATIC_DIR, mount_web_ui

__all__ = ["RESERVED_PREFIXES", "STATIC_DIR", "mount_web_ui"]
