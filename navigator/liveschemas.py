"""The live-guidance contract as schemas: the session REST bodies and the WebSocket messages a
phone sends (the server's messages are built by :mod:`navigator.session` and :mod:`navigator.live`;
docs/API.md lists both directions)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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

from beacons.model import AccuracyKind, GnssFix
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


#: Every message a phone may send on the live WebSocket (published in /openapi.json).
ClientMessageIn = Annotated[ScanMessage | CommandMessage, Field(discriminator="type")]
ClientMessage = TypeAdapter(ClientMessageIn)


def parse_client_message(data: Any) -> tuple[ScanMessage | CommandMessage, ValidationError | None]:
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


class PreviewItem(BaseModel):
    kind: str
    distance_m: float
    text: str


class TrackOut(BaseModel):
    started_ts: float
    ended_ts: float
    points: list[list[float]]
