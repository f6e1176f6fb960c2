"""Who is calling: the address rate limits count against, and keys that recently failed.

Pure pieces with time passed in; :mod:`navigator.api` wires them into its middlewares.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import OrderedDict
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str, setting: str = "BLINDPILOT_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` -> networks; a bad entry names itself and the setting."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {part!r} is not an address or CIDR network") from None
    return tuple(out)


def client_address(peer: str | None, forwarded_for: Sequence[str],
                   trusted: Sequence[Network]) -> str:
    """The address a request is counted against.

    The peer, unless the peer is a trusted proxy: then the nearest address in
    ``X-Forwarded-For`` (all its headers, in order) that is not a trusted proxy itself. Read
    from the right, because each proxy appends the address it was reached from and only the
    trusted ones are believed; anything a client wrote to the left of them is not looked at.
    An entry that is not an address stops the walk at the last trusted hop.
    """
    current = peer or "?"
    if not trusted or not _is_in(current, trusted):
        return current
    hops = [h.strip() for value in forwarded_for for h in value.split(",")]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return current
        current = hop
        if not _is_in(hop, trusted):
            return hop
    return current


def _is_in(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class FailedKeys:
    """Keys that failed authentication lately, by digest, for ``ttl_s`` (at most ``size``).

    A client repeating a wrong key is then refused without a database lookup. Valid keys are
    never remembered: a revoked key must be refused at once by every process.
    """

    def __init__(self, ttl_s: float = 60.0, size: int = 10_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._until: OrderedDict[bytes, float] = OrderedDict()

    @staticmethod
    def _digest(key: str) -> bytes:
        return hashlib.sha256(key.encode(errors="surrogateescape")).digest()

    def failed_lately(self, key: str, now_s: float) -> bool:
        until = self._until.get(self._digest(key))
        return until is not None and until > now_s

    def add(self, key: str, now_s: float) -> None:
        digest = self._digest(key)
        self._until[digest] = now_s + self.ttl_s
        self._until.move_to_end(digest)
        while len(self._until) > self.size:
            self._until.popitem(last=False)
