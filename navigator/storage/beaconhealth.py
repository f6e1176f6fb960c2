"""Beacon health: when each beacon was last heard, its battery and temperature; silent first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from navigator.storage.engine import Database
from navigator.storage.tables import BEACONS, Beacon


class BeaconHealth(Database):
    """What live scans and surveys tell about the beacons, and the mappers' view of it."""

    def mark_beacons_seen(
        self,
        heard: dict[str, float],
        telemetry: dict[str, tuple[int | None, float | None]] | None = None,
    ) -> None:
        """Record when beacons were last heard (live scans, surveys) and, from Eddystone-TLM
        frames in surveys, their battery (mV) and temperature (°C), for beacon health."""
        seen = (
            sa.update(Beacon)
            .where(
                BEACONS.c.ident == sa.bindparam("b_ident"),
                sa.or_(
                    BEACONS.c.last_seen_ts.is_(None), BEACONS.c.last_seen_ts < sa.bindparam("b_ts")
                ),
            )
            .values(last_seen_ts=sa.bindparam("b_ts"))
        )
        tlm = (
            sa.update(Beacon)
            .where(BEACONS.c.ident == sa.bindparam("b_ident"))
            .values(battery_mv=sa.bindparam("b_mv"), temperature_c=sa.bindparam("b_c"))
        )
        with self.write() as conn:  # one executemany each: thousands of beacons per flush
            if heard:
                conn.execute(seen, [{"b_ident": i, "b_ts": ts} for i, ts in heard.items()])
            if telemetry:
                conn.execute(
                    tlm, [{"b_ident": i, "b_mv": mv, "b_c": c} for i, (mv, c) in telemetry.items()]
                )

    def beacon_health(
        self, silent_before_ts: float, *, silent_only: bool, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int, int]:
        """Beacons not heard since ``silent_before_ts`` (or never) first, then the rest, by id;
        one page of them, the number of beacons listed in all and how many of them are silent.

        Ordered and counted in SQL: a city's layout can be far bigger than one page, and a
        silent beacon must not hide behind the page limit.
        """
        silent = sa.or_(BEACONS.c.last_seen_ts.is_(None), BEACONS.c.last_seen_ts < silent_before_ts)
        where = silent if silent_only else sa.true()
        with self.engine.connect() as conn:
            total, n_silent = conn.execute(
                sa.select(sa.func.count(), sa.func.count().filter(silent)).where(where)
            ).one()
            rows = conn.execute(
                sa.select(BEACONS, silent.label("silent"))
                .where(where)
                .order_by(sa.case((silent, 0), else_=1), BEACONS.c.id)
                .limit(limit)
                .offset(offset)
            )
            return [dict(r._mapping) for r in rows], int(total), int(n_silent)
