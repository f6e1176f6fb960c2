"""Every published vector decodes (or is rejected) as documented; fuzzing finds no other error."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beacons.frames import (
    EDDYSTONE_UUID16,
    EddystoneTlmFrame,
    EddystoneUidFrame,
    IBeaconFrame,
    InvalidFrame,
    decode_hex,
    frame_to_json,
    parse_adv_data,
    parse_manufacturer_data,
    parse_service_data,
)
from beacons.model import BeaconId
from tests.conftest import BLE_VECTORS as VECTORS

# vector field -> frame_to_json field; fields absent here describe context, not the frame
FIELD_NAMES = {
    "uuid": "uuid", "major": "major", "minor": "minor", "tx_power": "tx_power_dbm",
    "id1": "uuid", "id2": "major", "id3": "minor", "manufacturer": "company_id",
    "mfg_reserved": "mfg_reserved", "namespace": "namespace", "instance": "instance",
    "url": "url", "version": "version", "battery_mv": "battery_mv", "voltage_mv": "battery_mv",
    "temperature_c": "temperature_c", "adv_count": "adv_count",
    "advertising_count": "adv_count", "sec_cnt_raw": "sec_cnt_raw", "uptime_s": "uptime_s",
    "eid_hex": "eid_hex", "encrypted_data_hex": "encrypted_hex", "salt": "salt", "mic": "mic",
    "truncated": "truncated",
}  # fmt: skip
KIND_NAMES = {"eddystone_etlm": "eddystone_tlm"}


def _on_air_hex(vector: dict) -> tuple[str, str]:
    """The vector as ``decode_hex`` takes it: manufacturer/service hex carry their LE prefix."""
    if vector["format"] == "bleak_manufacturer_data":
        return vector["expected"]["company_id"].to_bytes(2, "little").hex() + vector["hex"], (
            "manufacturer"
        )
    if vector["format"] == "bleak_service_data":
        return "aafe" + vector["hex"], "service"
    return vector["hex"], "adv_data"


def _parse(vector: dict):
    raw = bytes.fromhex(vector["hex"])
    if vector["format"] == "bleak_manufacturer_data":
        return parse_manufacturer_data(vector["expected"]["company_id"], raw)
    if vector["format"] == "bleak_service_data":
        return parse_service_data(EDDYSTONE_UUID16, raw)
    return parse_adv_data(raw)


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{i}-{v['kind']}" for i, v in enumerate(VECTORS)])
def test_vector(vector: dict) -> None:
    hex_str, fmt = _on_air_hex(vector)
    if vector["kind"] == "invalid":
        with pytest.raises(InvalidFrame) as err:
            _parse(vector)
        assert err.value.reason
        with pytest.raises(InvalidFrame):
            decode_hex(hex_str, fmt)
        return
    frame = _parse(vector)
    assert decode_hex(hex_str, fmt) == frame
    got = frame_to_json(frame)
    assert got["kind"] == KIND_NAMES.get(vector["kind"], vector["kind"])
    expected = {**vector["expected"], **vector.get("strict_ad_parse", {})}
    compared = {k: v for k, v in expected.items() if k in FIELD_NAMES}
    assert compared, "every valid vector must check at least one frame field"
    for key, want in compared.items():
        assert got[FIELD_NAMES[key]] == pytest.approx(want), key
    json.dumps(got)  # JSON-ready


def test_tx_power_normalised_to_one_metre() -> None:
    eddy = decode_hex(VECTORS[15]["hex"])
    assert isinstance(eddy, EddystoneUidFrame)
    assert eddy.tx_power_1m_dbm == eddy.tx_power_dbm - 41
    ib = decode_hex(VECTORS[0]["hex"])
    assert isinstance(ib, IBeaconFrame) and ib.tx_power_1m_dbm == ib.tx_power_dbm
    zero = parse_manufacturer_data(0x004C, bytes.fromhex(VECTORS[6]["hex"]))
    assert zero.tx_power_1m_dbm is None  # advertised 0: uncalibrated, no distance


def test_beacon_ids() -> None:
    ib = decode_hex("4c00" + VECTORS[2]["hex"], "manufacturer")
    assert ib.beacon_id == BeaconId.ibeacon("426c7565-4368-6172-6d42-6561636f6e73", 3838, 4949)
    assert BeaconId.from_json(ib.beacon_id.to_json()) == ib.beacon_id
    alt = decode_hex(VECTORS[10]["hex"])
    assert BeaconId.from_json(alt.beacon_id.to_json()) == alt.beacon_id
    uid = decode_hex(VECTORS[15]["hex"])
    assert BeaconId.from_json(uid.beacon_id.to_json()) == uid.beacon_id
    assert (
        isinstance(_parse(VECTORS[3]), EddystoneTlmFrame) and _parse(VECTORS[3]).beacon_id is None
    )


@pytest.mark.parametrize(
    ("hex_str", "fmt"),
    [("zz", "adv_data"), ("4c", "manufacturer"), ("", "service"), ("0201", "bogus")],
)
def test_bad_hex_is_invalid_frame(hex_str: str, fmt: str) -> None:
    with pytest.raises(InvalidFrame):
        decode_hex(hex_str, fmt)


def test_reads_nothing_past_declared_length() -> None:
    # a UID frame whose AD length stops 3 bytes early must not borrow the trailing bytes
    good = bytes.fromhex(VECTORS[15]["hex"])
    ad_start = good.index(b"\x17\x16")
    cut = good[:ad_start] + bytes([0x17 - 3]) + good[ad_start + 1 :]
    with pytest.raises(InvalidFrame):
        parse_adv_data(cut)


@given(st.binary(max_size=64))
def test_fuzz_adv_data(data: bytes) -> None:
    _only_invalid_frame(parse_adv_data, data)


@given(st.integers(0, 0xFFFF), st.binary(max_size=40))
def test_fuzz_manufacturer(company_id: int, data: bytes) -> None:
    _only_invalid_frame(parse_manufacturer_data, company_id, data)


@given(st.sampled_from([EDDYSTONE_UUID16, 0x180F]), st.binary(max_size=30))
def test_fuzz_service(uuid16: int, data: bytes) -> None:
    _only_invalid_frame(parse_service_data, uuid16, data)


@given(
    st.sampled_from(VECTORS).flatmap(
        lambda v: st.tuples(
            st.just(bytes.fromhex(_on_air_hex(v)[0])), st.just(_on_air_hex(v)[1]),
            st.integers(0, 80), st.integers(0, 255),
        )
    )
)  # fmt: skip
def test_fuzz_mutated_vectors(case: tuple[bytes, str, int, int]) -> None:
    """Flip one byte of a real vector, or truncate it: still only InvalidFrame or a frame."""
    raw, fmt, pos, value = case
    mutated = raw[:pos] + bytes([value]) + raw[pos + 1 :] if pos < len(raw) else raw[: pos % 8]
    _only_invalid_frame(decode_hex, mutated.hex(), fmt)


def _only_invalid_frame(fn, *args) -> None:
    try:
        frame = fn(*args)
    except InvalidFrame as err:
        assert err.reason
        return
    frame_to_json(frame)


def test_truncated_packet_says_where() -> None:
    with pytest.raises(InvalidFrame, match="declares 23 bytes, 7 left"):
        decode_hex("0201060303aafe1716aafe00e31234")
