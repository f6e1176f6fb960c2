"""Live sessions across processes: what each was asked for (so another process behind a proxy
can resume it) and the walkers' opted-in tracks."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.storage.engine import Database
from navigator.storage.tables import LIVE_SESSIONS, TRACKS, LiveSessionRecord, Track


class SessionStore(Database):
    """A session's descriptor lives while the session does (never a position); a track is kept
    only when the walker opted in."""

    def save_session(self, session_id: str, request_json: str, now_ts: float,
                     token_hash: str) -> None:
        with self.write() as conn:
            conn.execute(
                sa.insert(LiveSessionRecord).values(
                    id=session_id, created_ts=now_ts, last_active_ts=now_ts, request=request_json,
                    token_hash=token_hash,
                )
            )

    def load_session(self, session_id: str) -> tuple[str, str | None] | None:
        """(what the session was asked for, its token's hash), or None when it is gone."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(LIVE_SESSIONS.c.request, LIVE_SESSIONS.c.token_hash)
                .where(LIVE_SESSIONS.c.id == session_id)
            ).first()
        return (row[0], row[1]) if row else None

    def claim_session(self, session_id: str) -> int | None:
        """A new connection holds the walk now: its claim, above every earlier one's (None when
        the session is gone)."""
        where = LIVE_SESSIONS.c.id == session_id
        with self.write() as conn:
            conn.execute(sa.update(LiveSessionRecord).where(where)
                         .values(claim=LIVE_SESSIONS.c.claim + 1))
            return conn.execute(sa.select(LIVE_SESSIONS.c.claim).where(where)).scalar()

    def session_claims(self, session_ids: list[str]) -> dict[str, int]:
        """The newest claim of each of these sessions still described."""
        with self.engine.connect() as conn:
            return {row.id: row.claim for row in conn.execute(
                sa.select(LIVE_SESSIONS.c.id, LIVE_SESSIONS.c.claim)
                .where(LIVE_SESSIONS.c.id.in_(session_ids)))}

    def touch_sessions(self, session_ids: list[str], now_ts: float) -> None:
        if session_ids:
            with self.write() as conn:
                conn.execute(
                    sa.update(LiveSessionRecord)
                    .where(LIVE_SESSIONS.c.id.in_(session_ids))
                    .values(last_active_ts=now_ts)
                )

    def delete_session(self, session_id: str, untouched_since: float | None = None) -> None:
        """Forget a session's descriptor; with ``untouched_since``, only if no process touched it
        after that (an idle copy expiring here while another process carries the walk on)."""
        query = sa.delete(LiveSessionRecord).where(LIVE_SESSIONS.c.id == session_id)
        if untouched_since is not None:
            query = query.where(LIVE_SESSIONS.c.last_active_ts <= untouched_since)
        with self.write() as conn:
            conn.execute(query)

    def delete_idle_sessions(self, before_ts: float) -> int:
        """Forget sessions no process has touched since ``before_ts`` (their process died)."""
        with self.write() as conn:
            return conn.execute(
                sa.delete(LiveSessionRecord).where(LIVE_SESSIONS.c.last_active_ts < before_ts)
            ).rowcount

    # ---- opted-in tracks

    def save_track(
        self, session_id: str, started_ts: float, ended_ts: float, points: list[list[float]],
        token_hash: str,
    ) -> None:
        """Store an opted-in track, merged by time with what is already stored for the session:
        a session resumed in another process (behind a proxy) is saved by each process that
        served part of it, in any order."""
        for attempt in (1, 2):  # a concurrent first save by another process: merge into it
            try:
                with self.write() as conn:
                    self._merge_track(conn, session_id, started_ts, ended_ts, points,
                                      token_hash)
                return
            except sa.exc.IntegrityError:
                if attempt == 2:
                    raise

    @staticmethod
    def _merge_track(conn: Connection, session_id: str, started_ts: float, ended_ts: float,
                     points: list[list[float]], token_hash: str | None) -> None:
        query = sa.select(TRACKS.c.started_ts, TRACKS.c.ended_ts, TRACKS.c.points).where(
            TRACKS.c.session_id == session_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        old = conn.execute(query).first()
        if old is None:
            conn.execute(sa.insert(Track).values(session_id=session_id, started_ts=started_ts,
                                                 ended_ts=ended_ts, points=json.dumps(points),
                                                 token_hash=token_hash))
            return
        by_time = {p[0]: p for p in json.loads(old.points)}
        by_time.update((p[0], p) for p in points)
        conn.execute(sa.update(Track).where(TRACKS.c.session_id == session_id).values(
            started_ts=min(old.started_ts, started_ts), ended_ts=max(old.ended_ts, ended_ts),
            points=json.dumps([by_time[t] for t in sorted(by_time)])))

    def load_track(self, session_id: str) -> dict[str, Any] | None:
        """The track with its session's ``token_hash``, which whoever serves it checks."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(TRACKS.c.started_ts, TRACKS.c.ended_ts, TRACKS.c.points,
                          TRACKS.c.token_hash).where(TRACKS.c.session_id == session_id)
            ).first()
        if row is None:
            return None
        return {"started_ts": row[0], "ended_ts": row[1], "points": json.loads(row[2]),
                "token_hash": row[3]}
