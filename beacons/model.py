"""Plain data for beacon readings and position fixes (no I/O)."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec


class BeaconKind(enum.StrEnum):
    IBEACON = "ibeacon"
    ALTBEACON = "altbeacon"
    EDDYSTONE = "eddystone"


@dataclass(frozen=True, slots=True)
class BeaconId:
    """A beacon's identity over the air.

    ``ident`` is canonical lowercase text: ``"<uuid>:<major>:<minor>"`` for iBeacon and AltBeacon
    (AltBeacon's 20-byte id is written as uuid + major + minor), ``"<namespace>:<instance>"`` (hex)
    for Eddystone-UID.
    """

    kind: BeaconKind
    ident: str

    @classmethod
    def ibeacon(cls, uuid: str, major: int, minor: int) -> BeaconId:
        return cls(BeaconKind.IBEACON, f"{uuid.lower()}:{major}:{minor}")

    @classmethod
    def eddystone(cls, namespace: str, instance: str) -> BeaconId:
        return cls(BeaconKind.EDDYSTONE, f"{namespace.lower()}:{instance.lower()}")

    @classmethod
    def altbeacon(cls, uuid: str, major: int, minor: int) -> BeaconId:
        return cls(BeaconKind.ALTBEACON, f"{uuid.lower()}:{major}:{minor}")

    def to_json(self) -> dict[str, str | int]:
        """The API's BEACON_ID: ``{"uuid","major","minor"}`` or ``{"namespace","instance"}``."""
        parts = self.ident.split(":")
        if self.kind is BeaconKind.EDDYSTONE:
            return {"namespace": parts[0], "instance": parts[1]}
        out: dict[str, str | int] = {
            "uuid": parts[0],
            "major": int(parts[1]),
            "minor": int(parts[2]),
        }
        if self.kind is BeaconKind.ALTBEACON:
            out["kind"] = BeaconKind.ALTBEACON.value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BeaconId:
        """Inverse of :meth:`to_json` (uuid/major/minor without ``kind`` is iBeacon); raises
        KeyError/ValueError on malformed input."""
        if "namespace" in data:
            return cls.eddystone(str(data["namespace"]), str(data["instance"]))
        kind = BeaconKind(data.get("kind", BeaconKind.IBEACON.value))
        ident = f"{str(data['uuid']).lower()}:{int(data['major'])}:{int(data['minor'])}"
        return cls(kind, ident)


class Reading(msgspec.Struct, frozen=True):
    """One received advertisement: who, how loud, at what time (seconds, caller's clock).

    A msgspec struct rather than a frozen dataclass: a walker's scan brings about ten of them a
    second and a frozen dataclass's ``__init__`` (a Python call setting each field through
    ``object.__setattr__``) cost ~0.7 us each against ~0.1 us, the most of decoding a scan.
    """

    beacon: BeaconId
    rssi_dbm: float
    tx_power_dbm: float | None
    t_s: float


class AccuracyKind(enum.StrEnum):
    """What a platform's reported GNSS accuracy radius means."""

    W3C95 = "w3c95"  # W3C Geolocation API: the truth lies within it with 95 % probability
    ANDROID68 = "android68"  # Android Location.getAccuracy(): 68 %
    IOS_RMS = "ios_rms"  # iOS horizontalAccuracy: about the RMS horizontal error


#: Radius / per-axis sigma of a circular 2-D Gaussian, per kind: r_p = sigma * sqrt(-2 ln(1-p)).
_RADIUS_PER_SIGMA = {
    AccuracyKind.W3C95: math.sqrt(-2.0 * math.log(0.05)),
    AccuracyKind.ANDROID68: math.sqrt(-2.0 * math.log(0.32)),
    AccuracyKind.IOS_RMS: math.sqrt(2.0),
}


def accuracy_radius_m(sigma_m: float, kind: AccuracyKind) -> float:
    """The accuracy a platform of ``kind`` reports for a per-axis ``sigma_m`` (the inverse of
    :attr:`GnssFix.sigma_m`)."""
    return sigma_m * _RADIUS_PER_SIGMA[kind]


@dataclass(frozen=True, slots=True)
class GnssFix:
    """A satellite position as the phone reports it (accuracy in the platform's own sense)."""

    lat: float
    lon: float
    accuracy_m: float
    t_s: float
    accuracy_kind: AccuracyKind = AccuracyKind.W3C95
    heading_deg: float | None = None
    speed_mps: float | None = None

    @property
    def sigma_m(self) -> float:
        """Per-axis standard deviation the reported radius stands for, if it were honest."""
        return self.accuracy_m / _RADIUS_PER_SIGMA[self.accuracy_kind]


@dataclass(frozen=True, slots=True)
class Scan:
    """The readings a device reports together, with an optional compass heading and an
    optional GNSS position (a scan may carry GNSS alone)."""

    readings: tuple[Reading, ...]
    t_s: float
    heading_deg: float | None = None
    gnss: GnssFix | None = None


@dataclass(frozen=True, slots=True)
class BeaconPlacement:
    """Where a known beacon hangs and how loud it is at 1 m (calibrated, dBm)."""

    beacon: BeaconId
    lat: float
    lon: float
    level: float | None
    measured_power_dbm: float


@dataclass(frozen=True, slots=True)
class Fix:
    """A position on the route graph with an honest error estimate.

    ``error_m`` is the radius (metres) around the fix within which the walker is with 90 %
    probability, as the positioner's evidence says: across path-loss exponents 1.8-3.5, phone
    offsets of +-8 dB, correlated shadowing and body loss, the true error exceeds it on at most
    10 % of fixes (measured, benchmarks/bench_positioning.py). ``confidence`` is the share of
    that evidence within 3 m of the fix.
    """

    lat: float
    lon: float
    level: float | None
    edge: int
    offset_m: float  # from the edge's ``u`` end
    error_m: float
    confidence: float  # 0..1
    t_s: float


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Positioning declines to guess: too few, too stale or too contradictory readings."""

    reason: str
    t_s: float
