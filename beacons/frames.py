"""Strict parsers for beacon advertisements: iBeacon, AltBeacon and Eddystone UID/URL/TLM/EID.

Pure functions over bytes; the only error is :class:`InvalidFrame` with a short ``reason``.
Three input shapes are accepted because radios hand us three shapes:

- ``parse_adv_data``: raw AD structures (``len, type, data...``) as in an HCI report. Lengths are
  honoured strictly: a structure is never read past its declared length, a zero length byte ends
  the significant part (padding), and a final length byte that overruns the packet is treated as
  trailing garbage (several real captures carry it) - but no beacon field is ever read from it.
- ``parse_manufacturer_data``: bleak's ``manufacturer_data[company_id]`` (no company id bytes).
- ``parse_service_data``: bleak's ``service_data[uuid]`` for a 16-bit UUID (no UUID bytes).

Tx power is normalised to the 1 m reference used by the distance model: iBeacon and AltBeacon
advertise power at 1 m, Eddystone at 0 m (``tx_power_1m_dbm = tx_power_dbm - 41``).
"""

from __future__ import annotations

import struct
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from beacons.model import BeaconId

APPLE_COMPANY_ID = 0x004C
EDDYSTONE_UUID16 = 0xFEAA
EDDYSTONE_0M_TO_1M_DB = 41

AD_SERVICE_DATA_16 = 0x16
AD_MANUFACTURER = 0xFF

_URL_SCHEMES = ("http://www.", "https://www.", "http://", "https://")
_URL_EXPANSIONS = (
    ".com/", ".org/", ".edu/", ".net/", ".info/", ".biz/", ".gov/",
    ".com", ".org", ".edu", ".net", ".info", ".biz", ".gov",
)  # fmt: skip


class InvalidFrame(ValueError):
    """The bytes are not a well-formed beacon frame; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IBeaconFrame:
    uuid: str
    major: int
    minor: int
    tx_power_dbm: int  # as advertised: measured power at 1 m

    @property
    def beacon_id(self) -> BeaconId:
        return BeaconId.ibeacon(self.uuid, self.major, self.minor)

    @property
    def tx_power_1m_dbm(self) -> int | None:
        """None when the beacon advertises 0 (uncalibrated): no distance can be derived."""
        return self.tx_power_dbm or None


@dataclass(frozen=True, slots=True)
class AltBeaconFrame:
    company_id: int
    uuid: str  # first 16 bytes of the 20-byte beacon id
    major: int
    minor: int
    tx_power_dbm: int  # at 1 m
    mfg_reserved: int | None  # some devices omit the final byte

    @property
    def beacon_id(self) -> BeaconId:
        return BeaconId.altbeacon(self.uuid, self.major, self.minor)

    @property
    def tx_power_1m_dbm(self) -> int | None:
        return self.tx_power_dbm or None


@dataclass(frozen=True, slots=True)
class EddystoneUidFrame:
    namespace: str  # 10 bytes hex
    instance: str  # 6 bytes hex
    tx_power_dbm: int  # at 0 m

    @property
    def beacon_id(self) -> BeaconId:
        return BeaconId.eddystone(self.namespace, self.instance)

    @property
    def tx_power_1m_dbm(self) -> int:
        return self.tx_power_dbm - EDDYSTONE_0M_TO_1M_DB


@dataclass(frozen=True, slots=True)
class EddystoneUrlFrame:
    url: str
    tx_power_dbm: int  # at 0 m

    @property
    def beacon_id(self) -> None:
        return None

    @property
    def tx_power_1m_dbm(self) -> int:
        return self.tx_power_dbm - EDDYSTONE_0M_TO_1M_DB


@dataclass(frozen=True, slots=True)
class EddystoneTlmFrame:
    """Telemetry. Version 0 is plain; version 1 (eTLM) carries 12 encrypted bytes + salt + MIC.

    ``uptime_s`` converts SEC_CNT, which counts 0.1 s units. A strict eTLM without salt and MIC
    (the declared AD length stopped early) is kept with ``truncated=True`` and ``None`` for both.
    """

    version: int
    battery_mv: int | None = None
    temperature_c: float | None = None
    adv_count: int | None = None
    sec_cnt_raw: int | None = None
    encrypted_hex: str | None = None
    salt: int | None = None
    mic: int | None = None
    truncated: bool = False

    @property
    def beacon_id(self) -> None:
        return None

    @property
    def uptime_s(self) -> float | None:
        return None if self.sec_cnt_raw is None else self.sec_cnt_raw / 10.0

    @property
    def tx_power_1m_dbm(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class EddystoneEidFrame:
    """Ephemeral id: rotates, so it names no fixed beacon."""

    eid_hex: str
    tx_power_dbm: int  # at 0 m

    @property
    def beacon_id(self) -> None:
        return None

    @property
    def tx_power_1m_dbm(self) -> int:
        return self.tx_power_dbm - EDDYSTONE_0M_TO_1M_DB


Frame = (
    IBeaconFrame
    | AltBeaconFrame
    | EddystoneUidFrame
    | EddystoneUrlFrame
    | EddystoneTlmFrame
    | EddystoneEidFrame
)

FRAME_KINDS: dict[type, str] = {
    IBeaconFrame: "ibeacon",
    AltBeaconFrame: "altbeacon",
    EddystoneUidFrame: "eddystone_uid",
    EddystoneUrlFrame: "eddystone_url",
    EddystoneTlmFrame: "eddystone_tlm",
    EddystoneEidFrame: "eddystone_eid",
}


def _uuid_text(raw: bytes) -> str:
    return str(uuidlib.UUID(bytes=raw))


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def parse_manufacturer_data(company_id: int, data: bytes) -> IBeaconFrame | AltBeaconFrame:
    """iBeacon (Apple, type 0x02 len 0x15) or AltBeacon (any company, code 0xBEAC)."""
    if len(data) >= 2 and data[0:2] == b"\xbe\xac":
        return _parse_altbeacon(company_id, data)
    if company_id != APPLE_COMPANY_ID:
        raise InvalidFrame(f"company 0x{company_id:04x} is neither Apple iBeacon nor AltBeacon")
    if len(data) < 2 or data[0] != 0x02:
        raise InvalidFrame("Apple data is not an iBeacon (type != 0x02)")
    if data[1] != 0x15:
        raise InvalidFrame(f"iBeacon length byte 0x{data[1]:02x} != 0x15")
    if len(data) != 23:
        raise InvalidFrame(f"iBeacon needs 23 bytes, got {len(data)}")
    major, minor, tx = struct.unpack(">HHb", data[18:23])
    return IBeaconFrame(_uuid_text(data[2:18]), major, minor, tx)


def _parse_altbeacon(company_id: int, data: bytes) -> AltBeaconFrame:
    """Layout: 0xBEAC, 20-byte id (uuid 16, major 2, minor 2), tx at 1 m, [reserved]."""
    if len(data) not in (23, 24):
        raise InvalidFrame(f"AltBeacon needs 23 or 24 bytes, got {len(data)}")
    major, minor, tx = struct.unpack(">HHb", data[18:23])
    reserved = data[23] if len(data) == 24 else None
    return AltBeaconFrame(company_id, _uuid_text(data[2:18]), major, minor, tx, reserved)


def parse_service_data(uuid16: int, data: bytes) -> Frame:
    """Eddystone frames (service 0xFEAA); the first byte is the frame type."""
    if uuid16 != EDDYSTONE_UUID16:
        raise InvalidFrame(f"service 0x{uuid16:04x} is not Eddystone (0xfeaa)")
    if not data:
        raise InvalidFrame("empty Eddystone service data")
    parser = _EDDYSTONE_PARSERS.get(data[0])
    if parser is None:
        raise InvalidFrame(f"unknown Eddystone frame type 0x{data[0]:02x}")
    return parser(data)


def _parse_uid(data: bytes) -> EddystoneUidFrame:
    if len(data) not in (18, 20):  # the two RFU bytes are optional
        raise InvalidFrame(f"Eddystone-UID needs 18 or 20 bytes, got {len(data)}")
    return EddystoneUidFrame(data[2:12].hex(), data[12:18].hex(), _signed(data[1]))


def _parse_url(data: bytes) -> EddystoneUrlFrame:
    if not 3 <= len(data) <= 20:
        raise InvalidFrame(f"Eddystone-URL needs 3..20 bytes, got {len(data)}")
    if data[2] >= len(_URL_SCHEMES):
        raise InvalidFrame(f"unknown URL scheme 0x{data[2]:02x}")
    parts = [_URL_SCHEMES[data[2]]]
    for b in data[3:]:
        if b < len(_URL_EXPANSIONS):
            parts.append(_URL_EXPANSIONS[b])
        elif 0x20 < b < 0x7F:
            parts.append(chr(b))
        else:
            raise InvalidFrame(f"URL byte 0x{b:02x} is reserved")
    return EddystoneUrlFrame("".join(parts), _signed(data[1]))


def _parse_tlm(data: bytes) -> EddystoneTlmFrame:
    if len(data) < 2:
        raise InvalidFrame("Eddystone-TLM without version")
    if data[1] == 0x00:
        if len(data) != 14:
            raise InvalidFrame(f"Eddystone-TLM needs 14 bytes, got {len(data)}")
        vbatt, temp, adv, sec = struct.unpack(">HhII", data[2:14])
        return EddystoneTlmFrame(0, vbatt, temp / 256.0, adv, sec)
    if data[1] == 0x01:
        if len(data) == 14:
            return EddystoneTlmFrame(1, encrypted_hex=data[2:14].hex(), truncated=True)
        if len(data) != 18:
            raise InvalidFrame(f"Eddystone-eTLM needs 18 bytes, got {len(data)}")
        salt, mic = struct.unpack(">HH", data[14:18])
        return EddystoneTlmFrame(1, encrypted_hex=data[2:14].hex(), salt=salt, mic=mic)
    raise InvalidFrame(f"unknown Eddystone-TLM version 0x{data[1]:02x}")


def _parse_eid(data: bytes) -> EddystoneEidFrame:
    if len(data) != 10:
        raise InvalidFrame(f"Eddystone-EID needs 10 bytes, got {len(data)}")
    return EddystoneEidFrame(data[2:10].hex(), _signed(data[1]))


_EDDYSTONE_PARSERS: dict[int, Callable[[bytes], Frame]] = {
    0x00: _parse_uid,
    0x10: _parse_url,
    0x20: _parse_tlm,
    0x30: _parse_eid,
}


def split_ad_structures(data: bytes) -> tuple[list[tuple[int, bytes]], str | None]:
    """(type, payload) of each complete AD structure, never reading past a declared length, and
    a note when a final structure overruns the packet (kept out of the result)."""
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        length = data[i]
        if length == 0:  # end of significant part: the rest is padding
            break
        if i + 1 + length > len(data):
            return out, f"AD at byte {i} declares {length} bytes, {len(data) - i - 1} left"
        out.append((data[i + 1], bytes(data[i + 2 : i + 1 + length])))
        i += 1 + length
    return out, None


def parse_adv_data(data: bytes) -> Frame:
    """The first beacon frame in raw advertising data; a malformed beacon AD is an error."""
    structures, overrun = split_ad_structures(data)
    for ad_type, payload in structures:
        if ad_type == AD_MANUFACTURER and len(payload) >= 2:
            company_id = payload[0] | payload[1] << 8
            is_ibeacon = company_id == APPLE_COMPANY_ID and payload[2:3] == b"\x02"
            if is_ibeacon or payload[2:4] == b"\xbe\xac":
                return parse_manufacturer_data(company_id, payload[2:])
        elif ad_type == AD_SERVICE_DATA_16 and len(payload) >= 2:
            uuid16 = payload[0] | payload[1] << 8
            if uuid16 == EDDYSTONE_UUID16:
                return parse_service_data(uuid16, payload[2:])
    raise InvalidFrame("no beacon frame in advertising data" + (f" ({overrun})" if overrun else ""))


def _split_prefix(raw: bytes, what: str) -> tuple[int, bytes]:
    if len(raw) < 2:
        raise InvalidFrame(f"{what} needs a 2-byte little-endian prefix")
    return raw[0] | raw[1] << 8, raw[2:]


def decode_hex(hex_str: str, fmt: str = "adv_data") -> Frame:
    """Decode one advertisement written as hex (spaces, colons and ``0x`` allowed).

    ``manufacturer`` and ``service`` hex start with the 2-byte little-endian company id / 16-bit
    UUID exactly as on the air (``4c00...``, ``aafe...``), so one hex string is self-contained.
    """
    cleaned = hex_str.strip().lower().removeprefix("0x").replace(" ", "").replace(":", "")
    try:
        raw = bytes.fromhex(cleaned)
    except ValueError:
        raise InvalidFrame("not a hex string") from None
    if fmt == "adv_data":
        return parse_adv_data(raw)
    if fmt == "manufacturer":
        return parse_manufacturer_data(*_split_prefix(raw, "manufacturer data"))
    if fmt == "service":
        return parse_service_data(*_split_prefix(raw, "service data"))
    raise InvalidFrame(f"unknown format {fmt!r} (adv_data, manufacturer or service)")


def frame_to_json(frame: Frame) -> dict[str, Any]:
    """A JSON-ready dict: kind, the frame's fields, beacon id and normalised tx power."""
    beacon = frame.beacon_id
    out: dict[str, Any] = {"kind": FRAME_KINDS[type(frame)], **asdict(frame)}
    out["beacon_id"] = None if beacon is None else beacon.to_json()
    out["tx_power_1m_dbm"] = frame.tx_power_1m_dbm
    if isinstance(frame, EddystoneTlmFrame):
        out["uptime_s"] = frame.uptime_s
    return out
