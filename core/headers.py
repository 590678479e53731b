"""The headers the gateway adds to its API answers, named in one place, and the client address it reads from
the headers a trusted proxy adds.

The client address is what failed-authentication throttling (`tokens.throttle`), the sign-in lock-out (django-axes)
and `auth_failure` events key on. It is the TCP peer (REMOTE_ADDR), unless that peer is one of TRUSTED_PROXIES:
then it is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy appends the
address it was reached from, so entries left of the first untrusted one were written by the client and are
never believed). Behind the Lambda Web Adapter the peer is 127.0.0.1 and the entry is the one the function URL
wrote; behind a load balancer the peer is the balancer and the entry is the one it appended.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

REQUEST_ID = "x-request-id"
ADAPTED = "x-sbc-adapted"  # what the gateway adapted or dropped from the request (see gateway.compat)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in trusted)


def _address(text: str) -> Address | None:
    """An address as a proxy writes it (`198.51.100.7`, `198.51.100.7:4711`, `[2001:db8::1]:443`), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: Address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The client's IP address: the TCP peer, or what the trusted proxies in front of it say (see the module); None
    when the request has no address (a request made in-process). What the sign-in lock-out keys on."""
    meta = request.META
    peer = _address(meta.get("REMOTE_ADDR", "") or "")
    if peer is None or not is_trusted_proxy(peer):
        return None if peer is None else str(peer)
    client = peer
    for entry in reversed(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = _address(entry)
        if hop is None:  # a malformed entry ends the chain: the last proxy's peer is the client
            break
        client = hop
        if not is_trusted_proxy(hop):
            break
    return str(client)


def client_address(request) -> str:
    """client_ip, or the peer as the server named it when that is no IP address (a Unix socket), or "unknown"."""
    return client_ip(request) or request.META.get("REMOTE_ADDR", "") or "unknown"
