"""One signed POST to a webhook receiver, and the address rules that keep it off our own network.

The receiver's name is resolved once, every address it resolves to is checked (a name pointing at
127.0.0.1 or 10.x is refused like the literal address), and the connection goes to the checked
address, so a DNS answer that changes between the check and the connection cannot reach inside.
Redirects are not followed (http.client never does): a 3xx is a failed attempt like any non-2xx.
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SIGNATURE_HEADER = "OMS-Signature"
USER_AGENT = "OpenOMS-Webhooks/1.0"


class AddressRefused(Exception):
    """The URL is not one we send to (scheme, credentials, or a private or loopback address)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The OMS-Signature header value: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def private_networks_allowed() -> bool:
    return settings.OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """The URL's parts, or AddressRefused for what we never send to (checked again at every delivery)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"Not a URL: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("The URL must start with https:// (or http://).")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused("The URL must not carry a user name or password; the signature authenticates us.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def check_literal_host(target: Target) -> None:
    """Refuse a literal private address or a name that is always local, without asking DNS."""
    if private_networks_allowed():
        return
    host = target.host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise AddressRefused(
            "Loopback receivers are refused (set OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=1 for local development)."
        )
    try:
        literal = _is_public(host)
    except ValueError:
        return  # a name: resolved at delivery
    if not literal:
        raise AddressRefused(
            f"{host} is a private, loopback or reserved address; receivers must be public "
            "(set OMS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=1 for local development)."
        )


def resolve(target: Target) -> list[str]:
    """Every address the host resolves to, each checked; AddressRefused when any is not public."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OSError(f"Cannot resolve {target.host}: {error}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not private_networks_allowed():
        refused = [address for address in addresses if not _is_public(address)]
        if refused:
            raise AddressRefused(
                f"{target.host} resolves to {', '.join(refused)}: private, loopback or reserved addresses are refused."
            )
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the name would resolve to now."""

    def __init__(self, address: str, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, address: str, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the name in the URL.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body`; never raises for what the receiver or the network does (the Answer says it)."""
    started = time.monotonic()

    def answer(status, error=""):
        return Answer(status, error[:500], int((time.monotonic() - started) * 1000))

    try:
        target = parse_url(url)
        check_literal_host(target)
        address = resolve(target)[0]
        connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(address, target, settings.OMS_WEBHOOK_TIMEOUT_SECONDS)
        try:
            connection.request(
                "POST",
                target.path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
            response = connection.getresponse()
            response.read(65536)  # the answer's body is not kept; read a little so the connection ends cleanly
            status = response.status
        finally:
            connection.close()
    except AddressRefused as refused:
        return answer(None, f"refused: {refused}")
    except (OSError, http.client.HTTPException) as error:  # timeouts, resets, TLS, bad status lines
        return answer(None, f"{type(error).__name__}: {error}")
    if 300 <= status < 400:
        return answer(status, "redirects are not followed")
    return answer(status, "" if 200 <= status < 300 else f"answered {status}")
