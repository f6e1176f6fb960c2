"""The live-guidance contract as schemas: the session REST bodies and the WebSocket messages a
phone sends (the server's messages are built by :mod:`navigator.session` and :mod:`navigator.live`;
docs/API.md lists both directions)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from navigator.schemas import BeaconIdentity, Lang, PointIn, ProfileName


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


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    beacon: BeaconIdentity
    rssi: float = Field(allow_inf_nan=False)
    tx_power: float | None = Field(default=None, allow_inf_nan=False)


class ScanMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["scan"]
    t: float = Field(ge=0, allow_inf_nan=False)
    readings: list[ReadingIn] = Field(max_length=256)
    heading_deg: float | None = Field(default=None, ge=0, le=360)


class CommandMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["repeat", "where_am_i", "around_me", "stop"]


ClientMessage = TypeAdapter(
    Annotated[ScanMessage | CommandMessage, Field(discriminator="type")]
)


class PreviewItem(BaseModel):
    kind: str
    distance_m: float
    text: str


class TrackOut(BaseModel):
    started_ts: float
    ended_ts: float
    points: list[list[float]]
