"""Whether this machine has usable Bluetooth, probed once at start (for ``/health``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from navigator.keys import BLUETOOTH, SETTINGS


async def bluetooth_ctx(app: web.Application) -> AsyncIterator[None]:
    """Probe the radio when the settings ask for it; ``"not_probed"`` otherwise."""
    app[BLUETOOTH] = "not_probed"
    if app[SETTINGS].bluetooth_probe:
        # imported only when probing: bleak and its D-Bus stack add to every start-up otherwise
        from beacons.bleak_source import bluetooth_state

        app[BLUETOOTH] = await bluetooth_state()
    yield
