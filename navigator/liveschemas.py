"""The live-guidance contract as schemas: the session REST bodies and the WebSocket messages a
phone sends (the server's messages are built by :mod:`navigator.session` and :mod:`navigator.live`;
docs/API.md lists both directions).

The WebSocket messages are defined once, in pydantic (published in /openapi.json, and the source
of every error text). A scan comes about once a second per walker, so it is first tried on a
fast path (:func:`decode_client_message`): msgspec decodes it straight into the positioner's
:class:`~beacons.model.Scan`, several times faster than JSON + pydantic. The fast path accepts
only what the pydantic models accept, with the same values (tested on generated messages);
anything it is unsure of (an error, a command, a bad GNSS fix to report) takes the pydantic
path.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from beacons.model import AccuracyKind, BeaconId, GnssFix, Reading, Scan
from navigator import api
from navigator.schemas import (
    INSTANCE_PATTERN,
    NAMESPACE_PATTERN,
    UUID_PATTERN,
    BeaconIdentity,
    Lang,
    PointIn,
    ProfileName,
    identity_beacon_id,
    is_one_identity,
)
from voice.phrases import Verbosity


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    to: PointIn
    from_: PointIn | None = Field(default=None, alias="from")
    profile: ProfileName = "blind_cane"
    lang: Lang = "de"
    verbosity: Verbosity = "normal"
    clock_face: bool = False
    verb: Literal["walk", "move"] = "walk"
    #: Keep this walk's track after the session ends (off by default: nothing is stored).
    keep_track: bool = False


class SessionCreated(BaseModel):
    #: Names the walk (in URLs and, cut short, in logs); no secret.
    session_id: str
    #: The walk's secret, shown only here: the WebSocket, preview and track ask for it.
    token: str
    #: The WebSocket path, token included (``?token=``): connect to it as given.
    ws_url: str
    length_m: float | None = None


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    beacon: BeaconIdentity
    rssi: float = Field(allow_inf_nan=False)
    tx_power: float | None = Field(default=None, allow_inf_nan=False)


def _kind_from_text(value: object) -> AccuracyKind:
    """JSON names the accuracy kind as text (strict validation would want the enum itself)."""
    if isinstance(value, str) and value in set(AccuracyKind):
        return AccuracyKind(value)
    raise ValueError(f"should be one of {', '.join(AccuracyKind)}")


class GnssIn(BaseModel):
    """The phone's satellite position, with its accuracy in the platform's own sense
    (``accuracy_kind``; absent means the W3C Geolocation API's, a 95 % radius)."""

    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float = Field(gt=0, allow_inf_nan=False)
    #: When the fix was taken, on the same clock as the scan's ``t``, and not after it.
    t: float = Field(ge=0, allow_inf_nan=False)
    accuracy_kind: Annotated[AccuracyKind, BeforeValidator(_kind_from_text)] = AccuracyKind.W3C95
    heading_deg: float | None = Field(default=None, ge=0, le=360, allow_inf_nan=False)
    speed_mps: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    def fix(self) -> GnssFix:
        return GnssFix(self.lat, self.lon, self.accuracy_m, self.t, self.accuracy_kind,
                       self.heading_deg, self.speed_mps)


class ScanMessage(BaseModel):
    """What the phone heard at ``t``: beacon readings, a GNSS fix, or both."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["scan"]
    t: float = Field(ge=0, allow_inf_nan=False)
    readings: list[ReadingIn] = Field(default_factory=list, max_length=256)
    heading_deg: float | None = Field(default=None, ge=0, le=360)
    gnss: GnssIn | None = None

    @field_validator("gnss")
    @classmethod
    def _gnss_not_after_the_scan(cls, gnss: GnssIn | None, info: ValidationInfo
                                 ) -> GnssIn | None:
        """A fix taken after the scan it comes with is "from the future": a clock mix-up (or
        a made-up fix), not a position to steer by."""
        t = info.data.get("t")
        if gnss is not None and t is not None and gnss.t > t:
            raise ValueError(f"gnss.t {gnss.t:g} is after the scan's t {t:g}; a fix cannot be "
                             "newer than its scan (send both on the phone's clock)")
        return gnss

    @model_validator(mode="after")
    def _readings_or_gnss(self) -> ScanMessage:
        if "readings" not in self.model_fields_set and self.gnss is None:
            raise ValueError('a scan carries "readings", "gnss" or both')
        return self


class CommandMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["repeat", "where_am_i", "around_me", "stop"]


class DeparturesMessage(BaseModel):
    """Ask what leaves next: from ``stop`` (a GTFS stop_id), else from the stop where the walker
    is, else from the stop the route ends at."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["departures"]
    stop: str | None = Field(default=None, min_length=1, max_length=100)


ClientCommand = ScanMessage | CommandMessage | DeparturesMessage
#: Every message a phone may send on the live WebSocket (published in /openapi.json).
ClientMessageIn = Annotated[ClientCommand, Field(discriminator="type")]
ClientMessage = TypeAdapter(ClientMessageIn)


def parse_client_message(data: Any) -> tuple[ClientCommand, ValidationError | None]:
    """A client message (strictly validated, like HTTP bodies), and the error of its ``gnss``
    when that alone was bad: the scan is then taken without it, so a broken satellite fix never
    costs the beacon readings beside it. Raises ``ValidationError`` for anything else."""
    try:
        return ClientMessage.validate_python(data, strict=True), None
    except ValidationError as err:
        if not (isinstance(data, dict) and "gnss" in data
                and all(e["loc"][:2] == ("scan", "gnss") for e in err.errors())):
            raise
        rest = {"readings": [], **{k: v for k, v in data.items() if k != "gnss"}}
        return ClientMessage.validate_python(rest, strict=True), err


# --------------------------------------------------------------------------- decoding a message


@dataclass(frozen=True, slots=True)
class ScanIn:
    """A scan as the server works with it: the positioner's :class:`Scan`, and why its GNSS fix
    was left out (``gnss_error``, answered as ``invalid_gnss``) when it was."""

    scan: Scan
    gnss_error: str | None = None


#: A client message as the server works with it.
ClientMessageRead = ScanIn | CommandMessage | DeparturesMessage


class InvalidMessage(ValueError):
    """Not JSON, or not one of the messages a phone may send (the text says what is wrong)."""


def decode_client_message(raw: str, ids: BeaconIds) -> ClientMessageRead:
    """One WebSocket text message, checked as strictly as the HTTP bodies (``"t": false`` is
    not a time, ``"rssi": true`` not a level); a scan comes back as the positioner's
    :class:`Scan`. Raises :class:`InvalidMessage`."""
    scan = scan_fast(raw, ids)
    return ScanIn(scan) if scan is not None else decode_with_models(raw)


def decode_with_models(raw: str) -> ClientMessageRead:
    """:func:`decode_client_message` through the pydantic models (what the fast path must
    agree with); raises :class:`InvalidMessage` with their error text."""
    try:
        msg, bad_gnss = parse_client_message(api.decode_json(raw))
    except ValidationError as err:
        raise InvalidMessage(api.describe_validation_error(err)) from None
    except ValueError as err:
        raise InvalidMessage(str(err)) from None
    if isinstance(msg, CommandMessage | DeparturesMessage):
        return msg
    readings = tuple(Reading(r.beacon.beacon_id(), r.rssi, r.tx_power, msg.t)
                     for r in msg.readings)
    scan = Scan(readings, msg.t, msg.heading_deg, msg.gnss.fix() if msg.gnss else None)
    return ScanIn(scan, api.describe_validation_error(bad_gnss) if bad_gnss else None)


#: A finite float: JSON has no NaN or infinity, but 1e999 would parse as one.
_Finite = Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)]


class _FastBeacon(Struct, frozen=True, forbid_unknown_fields=True):
    """:class:`~navigator.schemas.BeaconIdentity` as a scan names it; its patterns and identity
    rule are checked by :class:`BeaconIds`, once per identity."""

    uuid: str | None = None
    major: Annotated[int, Meta(ge=0, le=65535)] | None = None
    minor: Annotated[int, Meta(ge=0, le=65535)] | None = None
    namespace: str | None = None
    instance: str | None = None


class _FastReading(Struct, forbid_unknown_fields=True):
    beacon: _FastBeacon
    rssi: _Finite
    tx_power: _Finite | None = None


class _FastGnss(Struct, forbid_unknown_fields=True):
    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, Meta(gt=0, le=sys.float_info.max)]
    t: Annotated[float, Meta(ge=0, le=sys.float_info.max)]
    accuracy_kind: AccuracyKind = AccuracyKind.W3C95
    heading_deg: Annotated[float, Meta(ge=0, le=360)] | None = None
    speed_mps: Annotated[float, Meta(ge=0, le=sys.float_info.max)] | None = None


class _FastScan(Struct, forbid_unknown_fields=True):
    type: Literal["scan"]
    t: Annotated[float, Meta(ge=0, le=sys.float_info.max)]
    readings: Annotated[list[_FastReading], Meta(max_length=256)] | UnsetType = UNSET
    heading_deg: Annotated[float, Meta(ge=0, le=360)] | None = None
    gnss: _FastGnss | None = None


_FAST_SCAN = msgspec.json.Decoder(_FastScan)


def scan_fast(raw: str, ids: BeaconIds) -> Scan | None:
    """The scan in ``raw`` if the fast path is sure it is a valid one; None otherwise."""
    try:
        msg = _FAST_SCAN.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    g, t = msg.gnss, msg.t
    if (g is None and msg.readings is UNSET) or (g is not None and g.t > t):
        return None
    readings = [] if msg.readings is UNSET else msg.readings
    beacons = ids.all_of([r.beacon for r in readings])
    if beacons is None:
        return None
    gnss = (None if g is None else
            GnssFix(g.lat, g.lon, g.accuracy_m, g.t, g.accuracy_kind, g.heading_deg, g.speed_mps))
    return Scan(tuple([Reading(b, r.rssi, r.tx_power, t)  # type: ignore[arg-type]
                       for b, r in zip(beacons, readings, strict=True)]),
                t, msg.heading_deg, gnss)


class BeaconIds:
    """:class:`BeaconId`\\s of the identities scans name, checked and made once: a walker
    hears the same few beacons scan after scan, and a city has many walkers near the same
    beacons."""

    def __init__(self, max_size: int = 100_000) -> None:
        self._ids: dict[_FastBeacon, BeaconId] = {}
        self._max_size = max_size

    def all_of(self, named: list[_FastBeacon]) -> list[BeaconId] | None:
        """The ids of a scan's beacons; None if one names no beacon. Known identities are
        looked up without a Python call each (a scan names a dozen, every second)."""
        found = list(map(self._ids.get, named))
        if not all(found):  # an id is never false: only None fails
            checked = [self.of(b) if f is None else f for b, f in zip(named, found, strict=True)]
            return None if not all(checked) else checked  # type: ignore[return-value]
        return found  # type: ignore[return-value]

    def of(self, b: _FastBeacon) -> BeaconId | None:
        """The id of a beacon as a scan names it; None if that names no beacon (the pydantic
        path then says why)."""
        found = self._ids.get(b)
        if found is None:
            if not (is_one_identity(b.uuid, b.major, b.minor, b.namespace, b.instance)
                    and all(value is None or pattern.fullmatch(value) for value, pattern in (
                        (b.uuid, _UUID), (b.namespace, _NAMESPACE), (b.instance, _INSTANCE)))):
                return None
            if len(self._ids) >= self._max_size:  # bounded under made-up identities
                self._ids.clear()
            found = self._ids[b] = identity_beacon_id(b.uuid, b.major, b.minor, b.namespace,
                                                      b.instance)
        return found


_UUID, _NAMESPACE, _INSTANCE = (re.compile(p) for p in (UUID_PATTERN, NAMESPACE_PATTERN,
                                                         INSTANCE_PATTERN))


# --------------------------------------------------------------------------- REST, out


class PreviewItem(BaseModel):
    kind: str
    distance_m: float
    text: str


class TrackOut(BaseModel):
    started_ts: float
    ended_ts: float
    points: list[list[float]]
