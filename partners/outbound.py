"""Outbound HTTP for webhooks, with no way to reach what the deployment did not allow.

The host is resolved once, every address it resolves to must be public (or inside
``NCII_WEBHOOK_ALLOWED_NETWORKS``), and the connection goes to that checked address (TLS
still verifies the certificate for the host name), so DNS rebinding between the check and
the connection cannot redirect it. No redirects, a total timeout and a response-size cap."""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from ncii_site.errors import DomainError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(DomainError, ValueError):
    code = "webhook_destination_refused"
    status = 400


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    address: str
    target: str  # path and query


@dataclass(frozen=True)
class OutboundResult:
    status: int
    body: bytes


def url_policy_check(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an address the hub may send to, or a refusal."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password or not host:
        raise DestinationRefused("Give an https:// address with a host name and no user name or password.")
    plain_http = parts.scheme == "http" and host in LOOPBACK_HOSTS and settings.NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK
    if parts.scheme != "https" and not plain_http:
        raise DestinationRefused("Webhook addresses must be https://.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("The address has an invalid port.") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, target


def _allowed(address: IPAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    listed = any(address in ipaddress.ip_network(net, strict=False) for net in settings.NCII_WEBHOOK_ALLOWED_NETWORKS)
    return listed or (address.is_global and not address.is_multicast)


def destination_resolve(url: str) -> Destination:
    scheme, host, port, target = url_policy_check(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationRefused(f"The host {host!r} does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    refused = [str(a) for a in addresses if not _allowed(a)]
    if refused or not addresses:
        raise DestinationRefused(f"{host!r} resolves to an address the hub may not reach ({', '.join(refused)}).")
    return Destination(scheme, host, port, str(addresses[0]), target)


def outbound_post(*, url: str, body: bytes, headers: dict[str, str]) -> OutboundResult:
    """POST ``body``; raises DestinationRefused, urllib3's errors, or TimeoutError."""
    dest = destination_resolve(url)
    timeout = settings.NCII_WEBHOOK_TIMEOUT_SECONDS
    pool = _pool(dest, timeout)
    try:
        host_header = dest.host if dest.port in (80, 443) else f"{dest.host}:{dest.port}"
        response = pool.urlopen(
            "POST",
            dest.target,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        data = _read_capped(response, deadline=time.monotonic() + timeout)
        response.release_conn()
        return OutboundResult(response.status, data)
    finally:
        pool.close()


def _pool(dest: Destination, timeout: float) -> urllib3.HTTPConnectionPool:
    limit = urllib3.Timeout(total=timeout)
    if dest.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            dest.address,
            dest.port,
            timeout=limit,
            maxsize=1,
            retries=False,
            server_hostname=dest.host,
            assert_hostname=dest.host,
        )
    return urllib3.HTTPConnectionPool(dest.address, dest.port, timeout=limit, maxsize=1, retries=False)


def _read_capped(response: urllib3.BaseHTTPResponse, *, deadline: float) -> bytes:
    """At most NCII_WEBHOOK_MAX_RESPONSE_BYTES, within the deadline; the rest is not read."""
    cap, data = settings.NCII_WEBHOOK_MAX_RESPONSE_BYTES, b""
    while len(data) <= cap:
        if time.monotonic() > deadline:
            raise TimeoutError("The endpoint's answer took too long.")
        chunk = response.read(4096)
        if not chunk:
            return data
        data += chunk
    return data[:cap]
