"""Service settings: one frozen object, built from CLI flags and ``BLINDPILOT_*`` variables."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from navigator.backpressure import ScanBudget
from navigator.clients import Network, parse_networks
from navigator.guidancesettings import GuidanceSettings
from routing.limits import ImportLimits

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
DEFAULT_CITY_FILE = PACKAGE_DATA / "kaiserslautern_cc_2013.osm.gz"
DEFAULT_DB_FILE = "blindpilot.db"


def default_database_url() -> str:
    """``BLINDPILOT_DATABASE_URL``, else a SQLite file in the working directory."""
    return os.environ.get("BLINDPILOT_DATABASE_URL") or f"sqlite:///{DEFAULT_DB_FILE}"


def _env_flag(name: str) -> Callable[[], bool]:
    return lambda: os.environ.get(name, "1") != "0"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _env_float(name: str, default: float) -> Callable[[], float]:
    """Read at construction time (not import time), so tests and launchers can set it."""
    return lambda: _env_number(name, default)


MB = 1024 * 1024
#: The setting of each import limit, as its error message names it.
IMPORT_LIMIT_SETTINGS = {
    "max_decompressed_bytes": "BLINDPILOT_IMPORT_MAX_DECOMPRESSED_MB",
    "max_nodes": "BLINDPILOT_IMPORT_MAX_NODES",
    "max_ways": "BLINDPILOT_IMPORT_MAX_WAYS",
    "max_segment_m": "BLINDPILOT_IMPORT_MAX_SEGMENT_M",
    "max_extent_km": "BLINDPILOT_IMPORT_MAX_EXTENT_KM",
}


def import_limits_from_env() -> ImportLimits:
    """:class:`ImportLimits` with each ``BLINDPILOT_IMPORT_*`` variable that is set."""
    d = ImportLimits()
    env = IMPORT_LIMIT_SETTINGS
    return ImportLimits(
        max_decompressed_bytes=int(
            _env_number(env["max_decompressed_bytes"], d.max_decompressed_bytes / MB) * MB),
        max_nodes=int(_env_number(env["max_nodes"], d.max_nodes)),
        max_ways=int(_env_number(env["max_ways"], d.max_ways)),
        max_segment_m=_env_number(env["max_segment_m"], d.max_segment_m),
        max_extent_km=_env_number(env["max_extent_km"], d.max_extent_km),
    )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app factory needs; tests build one directly, ``BLINDPILOT_*`` vars too."""

    database_url: str = field(default_factory=default_database_url)
    host: str = "127.0.0.1"
    port: int = 8080
    #: OSM file imported on first start when the database holds no map (None: start empty).
    default_city: Path | None = DEFAULT_CITY_FILE
    #: Spacing of the beacon layout planned for the default city.
    default_beacon_spacing_m: float = 10.0
    audio_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("BLINDPILOT_AUDIO_DIR", ".blindpilot-audio"))
    )
    audio_cache_bytes: int = 200 * 1024 * 1024
    #: Use the speech engine (False: text-only, e.g. for fast tests).
    speech: bool = field(default_factory=_env_flag("BLINDPILOT_SPEECH"))
    #: Probe Bluetooth at start (reported in /health); off in tests that need no radio.
    bluetooth_probe: bool = field(default_factory=_env_flag("BLINDPILOT_BLUETOOTH_PROBE"))
    #: Anonymous (pedestrian) requests per second per client address, and the burst allowed.
    public_rate_per_s: float = field(
        default_factory=_env_float("BLINDPILOT_PUBLIC_RATE_PER_S", 20.0))
    public_burst: float = field(default_factory=_env_float("BLINDPILOT_PUBLIC_BURST", 60.0))
    #: Proxies whose X-Forwarded-For is believed (CIDRs): behind them, rate limits count
    #: against the forwarded client address, not against the proxy's.
    trusted_proxies: tuple[Network, ...] = field(
        default_factory=lambda: parse_networks(os.environ.get("BLINDPILOT_TRUSTED_PROXIES", "")))
    #: Live sessions idle (no message) for this long are dropped with everything they knew.
    session_idle_s: float = field(default_factory=_env_float("BLINDPILOT_SESSION_IDLE_S", 900.0))
    #: Seconds between looks at whether a connection in another process took one of this
    #: process's walks over (that walker is then told and disconnected).
    session_claim_check_s: float = field(
        default_factory=_env_float("BLINDPILOT_SESSION_CLAIM_CHECK_S", 1.0))
    #: Messages per second one WebSocket client may send before being throttled.
    ws_messages_per_s: float = field(
        default_factory=_env_float("BLINDPILOT_WS_MESSAGES_PER_S", 20.0))
    #: Seconds between looks at the audit log for map edits committed by other processes
    #: (several ``serve`` on one PostgreSQL); 0 turns it off.
    map_sync_s: float = field(default_factory=_env_float("BLINDPILOT_MAP_SYNC_S", 2.0))
    #: Seconds a connection has to send a whole request head, from opening or from its last
    #: response (an idle keep-alive connection is closed after that too).
    header_timeout_s: float = field(
        default_factory=_env_float("BLINDPILOT_HEADER_TIMEOUT_S", 15.0))
    #: Seconds a request body may take to arrive (408 after that).
    body_timeout_s: float = field(default_factory=_env_float("BLINDPILOT_BODY_TIMEOUT_S", 60.0))
    #: Simulations (``POST /v1/simulations``) run at once; one more is refused with 503.
    simulation_workers: int = field(
        default_factory=lambda: int(_env_number("BLINDPILOT_SIMULATIONS", 2)))
    #: What one map import may hold, and the time and memory its parsing process may take.
    import_limits: ImportLimits = field(default_factory=import_limits_from_env)
    import_timeout_s: float = field(default_factory=_env_float("BLINDPILOT_IMPORT_TIMEOUT_S", 180))
    import_memory_mb: float = field(
        default_factory=_env_float("BLINDPILOT_IMPORT_MEMORY_MB", 3072))
    #: Size of an uploaded OSM file (``POST /v1/map/import``), compressed as sent.
    import_upload_mb: float = field(
        default_factory=_env_float("BLINDPILOT_IMPORT_MAX_UPLOAD_MB", 64))
    guidance: GuidanceSettings = field(default_factory=GuidanceSettings)
    #: GTFS-Realtime trip updates and alerts: a file path or an http(s) URL ("": none), polled
    #: every ``gtfs_rt_s`` seconds.
    gtfs_rt: str = field(default_factory=lambda: os.environ.get("BLINDPILOT_GTFS_RT", ""))
    gtfs_rt_s: float = field(default_factory=_env_float("BLINDPILOT_GTFS_RT_S", 30.0))
    #: How long a scan may wait in a busy process and still be used (see navigator.backpressure).
    scan_budget: ScanBudget = field(default_factory=ScanBudget)
    #: The wall clock (unix seconds) that is "now" for departures, alerts and closures in
    #: effect: the real one in service; tests fix it, so "in 3 minutes" is exact.
    clock: Callable[[], float] = time.time

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (frozen dataclasses have no setters)."""
        return replace(self, **changes)  # type: ignore[arg-type]
