"""The live-guidance contract as schemas: the session REST bodies (pydantic, in the OpenAPI
document) and the WebSocket messages a phone sends (msgspec: a scan is decoded and checked about
once a second per walker, and msgspec does that several times faster than pydantic). The server's
messages are built by :mod:`navigator.session` and :mod:`navigator.live`; docs/API.md lists both
directions."""

from __future__ import annotations

import re
import sys
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct
from pydantic import BaseModel, ConfigDict, Field

from beacons.model import BeaconId, Reading, Scan
from navigator.schemas import (
    INSTANCE_PATTERN,
    NAMESPACE_PATTERN,
    ONE_IDENTITY,
    UUID_PATTERN,
    Lang,
    PointIn,
    ProfileName,
    identity_beacon_id,
    is_one_identity,
)


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    to: PointIn
    from_: PointIn | None = Field(default=None, alias="from")
    profile: ProfileName = "blind_cane"
    lang: Lang = "de"
    verbosity: Literal["brief", "normal", "detailed"] = "normal"
    clock_face: bool = False
    verb: Literal["walk", "move"] = "walk"
    #: Keep this walk's track after the session ends (off by default: nothing is stored).
    keep_track: bool = False


class SessionCreated(BaseModel):
    session_id: str
    ws_url: str
    length_m: float | None = None


# --------------------------------------------------------------------------- WebSocket, in

#: A finite float: JSON has no NaN or infinity, but 1e999 would parse as one.
Finite = Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)]


class BeaconIn(Struct, frozen=True, forbid_unknown_fields=True):
    """A beacon as a scan names it; the same rules as :class:`navigator.schemas.BeaconIdentity`
    (REST), whose patterns and identity rule :class:`BeaconIds` checks, once per identity."""

    uuid: str | None = None
    major: Annotated[int, Meta(ge=0, le=65535)] | None = None
    minor: Annotated[int, Meta(ge=0, le=65535)] | None = None
    namespace: str | None = None
    instance: str | None = None


class ReadingIn(Struct, forbid_unknown_fields=True):
    beacon: BeaconIn
    rssi: Finite
    tx_power: Finite | None = None


class ScanMessage(Struct, tag_field="type", tag="scan", forbid_unknown_fields=True):
    t: Annotated[float, Meta(ge=0, le=sys.float_info.max)]
    readings: Annotated[list[ReadingIn], Meta(max_length=256)]
    heading_deg: Annotated[float, Meta(ge=0, le=360)] | None = None


class CommandMessage(Struct, tag_field="type", forbid_unknown_fields=True):
    """A command without arguments; each kind is a subclass tagged with its ``type``."""

    @property
    def type(self) -> str:
        return str(self.__struct_config__.tag)


class RepeatMessage(CommandMessage, tag="repeat"):
    pass


class WhereAmIMessage(CommandMessage, tag="where_am_i"):
    pass


class AroundMeMessage(CommandMessage, tag="around_me"):
    pass


class StopMessage(CommandMessage, tag="stop"):
    pass


_DECODER = msgspec.json.Decoder(
    ScanMessage | RepeatMessage | WhereAmIMessage | AroundMeMessage | StopMessage)
#: A client message as the server works with it: a scan becomes the positioner's :class:`Scan`.
ClientMessage = Scan | CommandMessage


class InvalidMessage(ValueError):
    """Not JSON, or not one of the messages a phone may send (the text says what is wrong)."""


def decode_client_message(raw: str | bytes, ids: BeaconIds) -> ClientMessage:
    """One WebSocket text message, checked as strictly as the HTTP bodies (``"t": false`` is
    not a time, ``"rssi": true`` not a level); a scan comes back as the positioner's
    :class:`Scan`, every reading at the scan's time. Raises :class:`InvalidMessage`."""
    try:
        msg = _DECODER.decode(raw)
    except msgspec.ValidationError as err:
        raise InvalidMessage(str(err)) from None
    except msgspec.DecodeError as err:
        raise InvalidMessage(f"not JSON: {err}") from None
    if not isinstance(msg, ScanMessage):
        return msg
    t = msg.t
    return Scan(tuple([Reading(ids.of(r.beacon, i), r.rssi, r.tx_power, t)
                       for i, r in enumerate(msg.readings)]), t, msg.heading_deg)


class BeaconIds:
    """:class:`BeaconId`\\s of the identities scans name, checked and made once: a walker
    hears the same few beacons scan after scan, and a city has many walkers near the same
    beacons."""

    def __init__(self, max_size: int = 100_000) -> None:
        self._ids: dict[BeaconIn, BeaconId] = {}
        self._max_size = max_size

    def of(self, beacon: BeaconIn, index: int) -> BeaconId:
        """The id of reading ``index``'s beacon; :class:`InvalidMessage` if it names none."""
        found = self._ids.get(beacon)
        if found is None:
            b = beacon
            for name, pattern in _PATTERNS:
                value = getattr(b, name)
                if value is not None and not pattern.fullmatch(value):
                    raise InvalidMessage(f"Expected `str` matching regex '{pattern.pattern}' - "
                                         f"at `$.readings[{index}].beacon.{name}`")
            if not is_one_identity(b.uuid, b.major, b.minor, b.namespace, b.instance):
                raise InvalidMessage(f"{ONE_IDENTITY} - at `$.readings[{index}].beacon`")
            if len(self._ids) >= self._max_size:  # bounded under made-up identities
                self._ids.clear()
            found = self._ids[beacon] = identity_beacon_id(
                b.uuid, b.major, b.minor, b.namespace, b.instance)
        return found


_PATTERNS = [(name, re.compile(pattern)) for name, pattern in (
    ("uuid", UUID_PATTERN), ("namespace", NAMESPACE_PATTERN), ("instance", INSTANCE_PATTERN))]


# --------------------------------------------------------------------------- REST, out


class PreviewItem(BaseModel):
    kind: str
    distance_m: float
    text: str


class TrackOut(BaseModel):
    started_ts: float
    ended_ts: float
    points: list[list[float]]
