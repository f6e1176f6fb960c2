"""The real radio, through bleak. The only module that imports bleak.

Three ways of having no Bluetooth look different from below - no D-Bus socket
(``FileNotFoundError``), no BlueZ service (``BleakDBusError``), no adapter
(``BleakBluetoothNotAvailableError``) - and the same from above: :class:`NoBluetooth`
and the ``"no_bluetooth"`` state reported in ``/health``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakDBusError, BleakError

from beacons.frames import (
    EddystoneTlmFrame,
    Frame,
    InvalidFrame,
    parse_manufacturer_data,
    parse_service_data,
)
from beacons.model import BeaconId, Reading, Scan

AVAILABLE = "available"
NO_BLUETOOTH = "no_bluetooth"
_NO_BLUETOOTH_ERRORS = (OSError, BleakError)  # OSError: FileNotFoundError, permission, refused


class NoBluetooth(RuntimeError):
    """No usable Bluetooth here; ``reason`` is one human line (which of the failures it was)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BluetoothStatus:
    state: str  # AVAILABLE | NO_BLUETOOTH
    reason: str | None = None


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError):
        return f"no D-Bus system bus ({err})"
    if isinstance(err, BleakDBusError):
        return f"no BlueZ service on D-Bus ({err.dbus_error})"
    return f"no usable Bluetooth adapter ({err})"


def frames_from_advertisement(adv: AdvertisementData) -> list[Frame]:
    """Every beacon frame in one bleak advertisement; malformed or non-beacon data is skipped."""
    frames: list[Frame] = []
    for company_id, data in adv.manufacturer_data.items():
        try:
            frames.append(parse_manufacturer_data(company_id, data))
        except InvalidFrame:
            continue
    for uuid, data in adv.service_data.items():
        if not uuid.endswith("-0000-1000-8000-00805f9b34fb"):
            continue
        try:
            frames.append(parse_service_data(int(uuid[4:8], 16), data))
        except (InvalidFrame, ValueError):
            continue
    return frames


def readings_from_advertisement(adv: AdvertisementData, t_s: float) -> list[Reading]:
    """Every beacon reading in one bleak advertisement (frames that name a beacon)."""
    return [
        Reading(f.beacon_id, float(adv.rssi), f.tx_power_1m_dbm, t_s)
        for f in frames_from_advertisement(adv)
        if f.beacon_id is not None
    ]


class BleakSource:
    """Scans continuously and yields one :class:`Scan` per ``window_s`` of readings.

    ``known`` (if given) keeps only the map's beacons; the others are counted in
    ``unknown_heard``. ``backend`` is bleak's own injection point (a ``BaseBleakScanner`` subclass).
    """

    def __init__(
        self,
        known: Mapping[BeaconId, Any] | None = None,
        window_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        backend: type[BaseBleakScanner] | None = None,
    ) -> None:
        self._known = known
        self._window_s = window_s
        self._clock = clock
        self._backend = backend
        self._buffer: list[Reading] = []
        self.unknown_heard = 0

    def _on_advertisement(self, _device: BLEDevice, adv: AdvertisementData) -> None:
        for reading in readings_from_advertisement(adv, self._clock()):
            if self._known is not None and reading.beacon not in self._known:
                self.unknown_heard += 1
            else:
                self._buffer.append(reading)

    async def scans(self) -> AsyncIterator[Scan]:
        scanner = BleakScanner(self._on_advertisement, backend=self._backend)
        try:
            await scanner.start()
        except _NO_BLUETOOTH_ERRORS as err:
            raise NoBluetooth(_reason(err)) from err
        try:
            while True:
                await asyncio.sleep(self._window_s)
                readings, self._buffer = tuple(self._buffer), []
                yield Scan(readings, self._clock())
        finally:
            await scanner.stop()


async def bluetooth_status(timeout_s: float = 5.0) -> BluetoothStatus:
    """Try to start and stop a scan; never raises. Used by ``/health``."""
    scanner = BleakScanner()
    try:
        async with asyncio.timeout(timeout_s):
            await scanner.start()
            await scanner.stop()
    except (*_NO_BLUETOOTH_ERRORS, TimeoutError) as err:
        return BluetoothStatus(NO_BLUETOOTH, _reason(err))
    return BluetoothStatus(AVAILABLE)


async def bluetooth_state() -> str:
    """``"available"`` or ``"no_bluetooth"`` (see :func:`bluetooth_status` for the reason)."""
    return (await bluetooth_status()).state


async def scan_once(
    seconds: float, backend: type[BaseBleakScanner] | None = None
) -> list[dict[str, Any]]:
    """Listen for ``seconds`` and list each beacon heard, loudest first (``blindpilot scan``).

    Rows are JSON-ready: ``beacon_id`` (the ident text), ``beacon`` (API form), ``kind``,
    ``rssi`` (strongest, dBm), ``tx_power_1m_dbm``, ``address``, ``count``, and the
    ``battery_mv`` / ``temperature_c`` of an Eddystone-TLM frame from the same device. The caller
    marks which beacons its map knows. Raises :class:`NoBluetooth`.
    """
    heard: dict[BeaconId, dict[str, Any]] = {}
    telemetry: dict[str, EddystoneTlmFrame] = {}  # Eddystone-TLM names no beacon: by address

    def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
        for f in frames_from_advertisement(adv):
            if isinstance(f, EddystoneTlmFrame):
                telemetry[device.address] = f
            if f.beacon_id is None:
                continue
            row = heard.setdefault(
                f.beacon_id,
                {
                    "beacon_id": f.beacon_id.ident,
                    "beacon": f.beacon_id.to_json(),
                    "kind": f.beacon_id.kind.value,
                    "rssi": adv.rssi,
                    "tx_power_1m_dbm": f.tx_power_1m_dbm,
                    "address": device.address,
                    "count": 0,
                },
            )
            row["rssi"] = max(row["rssi"], adv.rssi)
            row["count"] += 1

    scanner = BleakScanner(on_adv, backend=backend)
    try:
        await scanner.start()
    except _NO_BLUETOOTH_ERRORS as err:
        raise NoBluetooth(_reason(err)) from err
    try:
        await asyncio.sleep(seconds)
    finally:
        await scanner.stop()
    for row in heard.values():
        tlm = telemetry.get(row["address"])
        row["battery_mv"] = tlm.battery_mv if tlm else None
        row["temperature_c"] = tlm.temperature_c if tlm else None
    return sorted(heard.values(), key=lambda row: -row["rssi"])
