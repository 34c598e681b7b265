"""What keeps other web sites away from the companion: loopback host names only in
single-user mode (against DNS rebinding), same-origin checks on requests a browser could be
tricked into sending (against cross-site request forgery), and headers that keep the web
app's page to itself."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

# Methods that change something. A browser sends any of them cross-site (a form posts without
# asking), so each is checked unless it carries a token no other site could have.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The web app loads only its own files: no inline script or style, nothing from elsewhere.
# `connect-src` names ws:/wss: because some browsers do not count the page's own WebSocket as
# 'self'; a page that can run no foreign script has nothing to send through them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = "microphone=(self), camera=(), geolocation=()"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

_PORT = re.compile(r"(?::(\d{1,5}))?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header's name and port (`[::1]:8765` → `("::1", 8765)`); None if malformed."""
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or ":" not in name:  # brackets hold an IPv6 address, nothing else
            return None
    else:
        name, colon, port = value.partition(":")
        rest = colon + port  # a second colon (a bare IPv6 address) leaves this malformed
    match = _PORT.fullmatch(rest)
    if not name or match is None:
        return None
    port_number = int(match[1]) if match[1] else None
    if port_number is not None and port_number > 65535:
        return None
    return name.lower(), port_number


def is_loopback(host: str) -> bool:
    """Whether a host name, without port or brackets, can only mean this machine.

    Only `localhost` and loopback IP literals in their usual notation: a DNS name such as
    `127.0.0.1.evil.com` can be rebound to 127.0.0.1 by whoever owns it, and the other
    spellings of an address (`2130706433`, `0x7f000001`, `127.1`) never come from a browser,
    which writes every address it connects to in the usual notation.
    """
    if host.lower() == "localhost":
        return True
    if "%" in host:  # an IPv6 zone ("::1%lo") is never in a browser's Host header
        return False
    try:
        address = ipaddress.ip_address(host)  # strict: dotted quads, no leading zeros
    except ValueError:
        return False
    return address.is_loopback


def loopback_host_header(conn: HTTPConnection) -> bool:
    """Whether the request names this machine in its Host header (a missing one does not)."""
    parsed = split_host(conn.headers.get("host", ""))
    return parsed is not None and is_loopback(parsed[0])


def _forwarded_proto(conn: HTTPConnection) -> str:
    return conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()


def is_https(conn: HTTPConnection) -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a proxy that says so.

    X-Forwarded-Proto is believed from anyone: all it can do here is make the login cookie
    HTTPS-only (a client that lies only keeps its own cookie from coming back) and let an
    https:// page count as this server's own (a header no other site's page can set).
    """
    return conn.url.scheme in ("https", "wss") or _forwarded_proto(conn) == "https"


def _own_schemes(conn: HTTPConnection) -> set[str]:
    schemes = {"https" if conn.url.scheme in ("https", "wss") else "http"}
    if _forwarded_proto(conn) in _DEFAULT_PORTS:
        schemes.add(_forwarded_proto(conn))
    return schemes


def same_origin(origin: str, conn: HTTPConnection) -> bool:
    """Whether an Origin header names this very server: its scheme, the request's Host."""
    host = split_host(conn.headers.get("host", ""))
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:  # "http://x:99999" and other broken origins
        return False
    if host is None or parts.hostname is None or parts.scheme not in _own_schemes(conn):
        return False
    default = _DEFAULT_PORTS[parts.scheme]
    return parts.hostname == host[0] and (port or default) == (host[1] or default)


def foreign_site(conn: HTTPConnection) -> bool:
    """Whether a browser sent this request from a page of another site (or another origin).

    A request without Origin and Sec-Fetch-Site comes from a program, not a page: it carries
    only the credentials its author gave it, so there is nothing to forge.
    """
    if conn.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = conn.headers.get("origin")
    return origin is not None and not same_origin(origin, conn)
