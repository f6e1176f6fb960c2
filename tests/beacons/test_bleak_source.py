"""BleakSource through bleak's own seams: the ``backend=`` injection and the real BlueZ D-Bus path.

The D-Bus tests start a private ``dbus-daemon`` with a system-bus-like config and export a fake
``org.bluez`` (adapter + one beacon device) written with dbus-fast, then point
``DBUS_SYSTEM_BUS_ADDRESS`` at it, so bleak runs its real Linux code end to end.
"""

import asyncio
import json
import shutil
import subprocess

import pytest
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from dbus_fast import BusType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method, signal

from beacons.bleak_source import (
    NO_BLUETOOTH,
    BleakSource,
    NoBluetooth,
    bluetooth_status,
    scan_once,
)
from beacons.frames import decode_hex
from tests.conftest import BLE_VECTORS as VECTORS

BLUECHARM = decode_hex("4c00" + VECTORS[2]["hex"], "manufacturer").beacon_id
EDDY_UID = decode_hex(VECTORS[15]["hex"]).beacon_id


def _advertisements() -> list[tuple[str, AdvertisementData]]:
    """Real vectors in bleak's shape: manufacturer/service data keyed as bleak keys them."""
    out = []
    for i, v in enumerate(VECTORS):
        if v["format"] == "bleak_manufacturer_data":
            md, sd = {v["expected"]["company_id"]: bytes.fromhex(v["hex"])}, {}
        elif v["format"] == "bleak_service_data":
            md, sd = {}, {"0000feaa-0000-1000-8000-00805f9b34fb": bytes.fromhex(v["hex"])}
        else:
            continue
        out.append(
            (f"00:00:00:00:00:{i:02X}", AdvertisementData(None, md, sd, [], None, -60 - i, None))
        )
    uid = bytes.fromhex(VECTORS[15]["hex"])
    uid_sd = uid[uid.index(b"\xaa\xfe\x00") + 2 : 7 + 2 + 20]
    sd = {"0000feaa-0000-1000-8000-00805f9b34fb": uid_sd}
    out.append(("00:00:00:00:00:99", AdvertisementData(None, {}, sd, [], None, -70, None)))
    return out


class ReplayScanner(BaseBleakScanner):
    """A bleak backend that plays recorded advertisements when started."""

    def __init__(self, detection_callback, service_uuids, *_args, **_kwargs) -> None:
        super().__init__(detection_callback, service_uuids)

    async def start(self) -> None:
        for address, adv in _advertisements():
            device = self.create_or_update_device(address, address, None, {}, adv)
            self.call_detection_callbacks(device, adv)

    async def stop(self) -> None:
        return None

    def set_scanning_filter(self, **kwargs) -> None:
        return None


async def test_backend_injection_reads_real_vectors() -> None:
    ticks = iter(range(100))
    source = BleakSource(window_s=0.01, clock=lambda: float(next(ticks)), backend=ReplayScanner)
    scan = await anext(aiter(source.scans()))
    heard = {(r.beacon, r.rssi_dbm, r.tx_power_dbm) for r in scan.readings}
    assert (BLUECHARM, -62.0, -59) in heard  # vector 2, rssi -60 - index
    assert (BLUECHARM, -66.0, None) in heard  # vector 6 advertises 0 dBm: uncalibrated
    assert (EDDY_UID, -70.0, -29 - 41) in heard  # Eddystone power normalised to 1 m
    # invalid vectors (short, wrong type, wrong company) produced no reading
    assert all(r.beacon.kind.value in ("ibeacon", "eddystone") for r in scan.readings)


async def test_known_filter_counts_unknown() -> None:
    source = BleakSource({BLUECHARM: None}, window_s=0.01, backend=ReplayScanner)
    scan = await anext(aiter(source.scans()))
    assert {r.beacon for r in scan.readings} == {BLUECHARM}
    assert source.unknown_heard > 0


async def test_scan_once_with_backend() -> None:
    heard = await scan_once(0.01, backend=ReplayScanner)
    assert heard[0]["rssi"] >= heard[-1]["rssi"]
    bluecharm = next(h for h in heard if h["beacon_id"] == BLUECHARM.ident)
    assert bluecharm["rssi"] == -62 and bluecharm["count"] == 2  # vectors 2 and 6
    json.dumps(heard)


class TelemetryScanner(ReplayScanner):
    """One device sending its Eddystone-UID and, separately, its TLM frame (vector 3)."""

    async def start(self) -> None:
        uid = bytes.fromhex(VECTORS[15]["hex"])
        frames = [
            uid[uid.index(b"\xaa\xfe\x00") + 2 : 7 + 2 + 20],
            bytes.fromhex(VECTORS[3]["hex"]),
        ]
        for data in frames:
            sd = {"0000feaa-0000-1000-8000-00805f9b34fb": data}
            adv = AdvertisementData(None, {}, sd, [], None, -71, None)
            device = self.create_or_update_device("AA:BB", "AA:BB", None, {}, adv)
            self.call_detection_callbacks(device, adv)


async def test_scan_once_attaches_tlm_battery_to_the_beacon_of_the_same_device() -> None:
    heard = await scan_once(0.01, backend=TelemetryScanner)
    assert [h["beacon_id"] for h in heard] == [EDDY_UID.ident]
    assert heard[0]["battery_mv"] == 3070 and heard[0]["temperature_c"] == 28.0


# --- the real BlueZ path against a private dbus-daemon and a fake org.bluez -------------------

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""

ADAPTER = "/org/bluez/hci0"
DEVICE = f"{ADAPTER}/dev_C0_FF_EE_00_00_01"


@pytest.fixture
def system_bus(tmp_path, monkeypatch):
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon NOT INSTALLED: the real BlueZ D-Bus path of bleak is untested")
    config = tmp_path / "system.conf"
    config.write_text(BUS_CONFIG.format(socket=tmp_path / "bus"))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--print-address", "--nofork"],
        stdout=subprocess.PIPE,
        text=True,
    )
    address = proc.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
    yield address
    proc.terminate()
    proc.wait(timeout=5)


class ObjectManager(ServiceInterface):
    def __init__(self, objects: dict) -> None:
        super().__init__("org.freedesktop.DBus.ObjectManager")
        self.objects = objects

    @method()
    def GetManagedObjects(self) -> "a{oa{sa{sv}}}":  # noqa: F722, F821, N802
        return self.objects

    @signal()
    def InterfacesAdded(self, path: str, interfaces: dict) -> "oa{sa{sv}}":  # noqa: F722, F821, N802
        return [path, interfaces]


class Adapter(ServiceInterface):
    def __init__(self, on_start) -> None:
        super().__init__("org.bluez.Adapter1")
        self._on_start = on_start
        self.filters: list[dict] = []

    @method()
    def StartDiscovery(self):  # noqa: N802
        self._on_start()

    @method()
    def StopDiscovery(self):  # noqa: N802
        return None

    @method()
    def SetDiscoveryFilter(self, filters: "a{sv}"):  # noqa: F722, F821, N802
        self.filters.append(filters)

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> "as":  # noqa: F722, F821, N802
        return ["central", "peripheral"]

    @dbus_property(access=PropertyAccess.READ)
    def Powered(self) -> "b":  # noqa: F722, F821, N802
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":  # noqa: F722, F821, N802
        return "00:1A:7D:DA:71:13"


class Device(ServiceInterface):
    """Only used to emit PropertiesChanged for an RSSI update."""

    def __init__(self) -> None:
        super().__init__("org.bluez.Device1")
        self.rssi = -60

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> "n":  # noqa: F722, F821, N802
        return self.rssi


def _device_props(rssi: int) -> dict:
    return {
        "Address": Variant("s", "C0:FF:EE:00:00:01"),
        "AddressType": Variant("s", "random"),
        "Alias": Variant("s", "BlueCharm_177999"),
        "Name": Variant("s", "BlueCharm_177999"),
        "Adapter": Variant("o", ADAPTER),
        "RSSI": Variant("n", rssi),
        "UUIDs": Variant("as", []),
        "ManufacturerData": Variant("a{qv}", {76: Variant("ay", bytes.fromhex(VECTORS[2]["hex"]))}),
        "ServiceData": Variant("a{sv}", {}),
    }


async def _fake_bluez(with_adapter: bool = True) -> MessageBus:
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    objects: dict = {}
    manager = ObjectManager(objects)
    device = Device()

    def start_discovery() -> None:
        async def advertise() -> None:
            manager.InterfacesAdded(DEVICE, {"org.bluez.Device1": _device_props(-60)})
            await asyncio.sleep(0.05)
            device.rssi = -72
            device.emit_properties_changed({"RSSI": -72})

        asyncio.get_running_loop().create_task(advertise())

    if with_adapter:
        adapter = Adapter(start_discovery)
        objects[ADAPTER] = {
            "org.bluez.Adapter1": {
                "Roles": Variant("as", ["central", "peripheral"]),
                "Powered": Variant("b", True),
                "Address": Variant("s", "00:1A:7D:DA:71:13"),
            }
        }
        bus.export(ADAPTER, adapter)
        bus.export(DEVICE, device)
    bus.export("/", manager)
    await bus.request_name("org.bluez")
    return bus


async def test_bluez_dbus_path_reads_beacon(system_bus) -> None:
    bluez = await _fake_bluez()
    try:
        source = BleakSource(window_s=0.4, clock=asyncio.get_running_loop().time)
        scans = aiter(source.scans())
        readings = []
        for _ in range(3):
            readings += (await anext(scans)).readings
            if len(readings) >= 2:
                break
        await scans.aclose()
        assert readings and all(r.beacon == BLUECHARM for r in readings)
        assert readings[0].rssi_dbm == -60 and readings[0].tx_power_dbm == -59
        assert -72 in {r.rssi_dbm for r in readings}  # the PropertiesChanged update arrived
        assert (await bluetooth_status()).state == "available"
    finally:
        bluez.disconnect()


async def test_no_bluez_service_is_no_bluetooth(system_bus) -> None:
    status = await bluetooth_status()
    assert status.state == NO_BLUETOOTH and "BlueZ" in status.reason


async def test_no_adapter_is_no_bluetooth(system_bus) -> None:
    bluez = await _fake_bluez(with_adapter=False)
    try:
        status = await bluetooth_status()
        assert status.state == NO_BLUETOOTH and "adapter" in status.reason
        with pytest.raises(NoBluetooth):
            await anext(aiter(BleakSource().scans()))
    finally:
        bluez.disconnect()


async def test_no_dbus_is_no_bluetooth(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/absent")
    status = await bluetooth_status()
    assert status.state == NO_BLUETOOTH and "D-Bus" in status.reason
