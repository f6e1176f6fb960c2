"""Client addresses behind trusted proxies, and the memory of failed keys (pure, time passed in)."""

from __future__ import annotations

import pytest

from navigator.clients import FailedKeys, client_address, parse_networks

PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8, ::1")


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("203.0.113.7", [], "203.0.113.7"),
    ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),  # not a proxy: its header is ignored
    ("127.0.0.1", [], "127.0.0.1"),
    ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the client's own entry: left
    ("127.0.0.1", ["6.6.6.6", "198.51.100.1, 10.1.2.3"], "198.51.100.1"),  # two proxies
    ("127.0.0.1", ["10.1.2.3"], "10.1.2.3"),  # nothing but proxies: the farthest one
    ("127.0.0.1", ["not-an-ip, 10.1.2.3"], "10.1.2.3"),
    ("::1", ["2001:db8::5"], "2001:db8::5"),
    (None, ["198.51.100.1"], "?"),
])
def test_client_address(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_a_bad_network_names_the_setting() -> None:
    with pytest.raises(ValueError, match="BLINDPILOT_TRUSTED_PROXIES: 'nope'"):
        parse_networks("10.0.0.0/8,nope")


def test_failed_keys_are_forgotten_after_their_time_and_beyond_their_number() -> None:
    failed = FailedKeys(ttl_s=60, size=2)
    failed.add("a", 0.0)
    assert failed.failed_lately("a", 59.0) and not failed.failed_lately("a", 61.0)
    failed.add("b", 1.0)
    failed.add("c", 2.0)
    assert not failed.failed_lately("a", 3.0) and failed.failed_lately("c", 3.0)
