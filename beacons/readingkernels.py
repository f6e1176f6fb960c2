"""Digesting a scan's readings, compiled (numba): the checks, the bursts, the "news" weights,
the walker's memory of when each beacon was last heard, the phone's floor and the choice of the
beacons to weigh (beacons.heard), one call a scan (:func:`digest`): each numpy step between
separate calls cost about a microsecond, on every scan of every walker.

Kept apart from beacons.kernels (the particles' loops) as the other half of a scan's work;
the same numba settings, so a walker's first scan loads both from numba's cache.
"""

from __future__ import annotations

import numpy as np

from beacons.kernels import _jit


@_jit
def news_share(rho: float, gap_s: float, lag_s: float) -> float:
    """beacons.persistence.Persistence.news of one reading: errors of lag correlation ``rho``
    (at ``lag_s``) carry ``(1 - r) / (1 + r)`` of independent ones' information, ``r`` the
    correlation over the ``gap_s`` since the beacon was last heard."""
    r = rho ** (max(gap_s, 0.0) / lag_s)
    return (1.0 - r) / (1.0 + r)


@_jit
def news(rho: float, gap_s: np.ndarray, lag_s: float) -> np.ndarray:
    """:func:`news_share` of each of ``gap_s``."""
    out = np.empty(gap_s.size)
    for k in range(gap_s.size):
        out[k] = news_share(rho, gap_s[k], lag_s)
    return out


@_jit
def usable_readings(rows: np.ndarray, rssi: np.ndarray, t: np.ndarray, heard_rows: np.ndarray,
                    heard_t: np.ndarray, heard: int, power: np.ndarray, rssi_low: float,
                    rssi_high: float, rho: float, lag_s: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int, int]:
    """beacons.heard.ScanDigester.digest's checks in one pass: readings whose RSSI is within
    [``rssi_low``, ``rssi_high``] (NaN is not), whose beacon has a layout row (``rows`` >= 0)
    and which are not older than the beacon's previous reading (its time in ``heard_t`` where
    the first ``heard`` of ``heard_rows`` name it); a burst of one beacon averaged into one
    reading at its latest time (then the beacons come sorted by row, else in the scan's order).
    Returns (rows, excess over the 1 m power, times, the share of each that is news
    (:func:`news_share` of the seconds since its beacon was last heard), readings rejected for
    RSSI, for an unknown beacon, for time)."""
    n = rows.size
    prev = np.empty(n)
    for k in range(n):
        prev[k] = -np.inf
        for j in range(heard):
            if heard_rows[j] == rows[k]:
                prev[k] = heard_t[j]
                break
    keep = np.empty(n, dtype=np.intp)
    used = bad_rssi = unknown = stale = 0
    for k in range(n):
        if not rssi_low <= rssi[k] <= rssi_high:
            bad_rssi += 1
        elif rows[k] < 0:
            unknown += 1
        elif not t[k] >= prev[k]:
            stale += 1
        else:
            keep[used] = k
            used += 1
    keep = keep[:used]
    order = keep[np.argsort(rows[keep], kind="mergesort")]  # a burst stays in its order
    repeats = 0
    for k in range(1, used):
        repeats += rows[order[k]] == rows[order[k - 1]]
    if not repeats:
        order = keep
    m = used - repeats
    out_rows = np.empty(m, dtype=np.int64)
    total, count = np.zeros(m), np.zeros(m)
    last, gap = np.empty(m), np.empty(m)
    at = -1
    for k in range(used):
        i = order[k]
        if at < 0 or not repeats or rows[i] != out_rows[at]:
            at += 1
            out_rows[at], last[at], gap[at] = rows[i], t[i], prev[i]
        total[at] += rssi[i]
        count[at] += 1.0
        last[at] = max(last[at], t[i])
    excess = np.empty(m)
    for k in range(m):
        excess[k] = total[k] / count[k] - power[out_rows[k]]
        gap[k] = news_share(rho, last[k] - gap[k], lag_s)
    return out_rows, excess, last, gap, bad_rssi, unknown, stale


@_jit
def remember(heard_rows: np.ndarray, heard_t: np.ndarray, heard: int, rows: np.ndarray,
             t: np.ndarray, most: int, now: float, forget_s: float) -> tuple[int, bool]:
    """beacons.heard.HeardTimes.remember: each of ``rows`` (distinct) last heard at ``t``, among
    the first ``heard`` entries (room for all of ``rows`` more is the caller's); past ``most``
    entries, only those heard within ``forget_s`` of ``now`` stay, in their order. Returns the
    number of entries and whether that pruned them."""
    for k in range(rows.size):
        j = 0
        while j < heard and heard_rows[j] != rows[k]:
            j += 1
        heard_rows[j], heard_t[j] = rows[k], t[k]
        heard += j == heard
    if heard > most:
        kept = 0
        for j in range(heard):
            if now - heard_t[j] < forget_s:
                heard_rows[kept], heard_t[kept] = heard_rows[j], heard_t[j]
                kept += 1
        return kept, True
    return heard, False


@_jit
def strongest(rows: np.ndarray, excess_db: np.ndarray, beacon_xy: np.ndarray, x: float,
              y: float, nearest: bool, most: int) -> np.ndarray:
    """Indexes of the ``most`` readings nearest to (x, y) (``nearest``) or else loudest."""
    key = np.empty(rows.size)
    for k in range(rows.size):
        if nearest:
            dx, dy = beacon_xy[rows[k], 0] - x, beacon_xy[rows[k], 1] - y
            key[k] = dx * dx + dy * dy
        else:
            key[k] = -excess_db[k]
    return np.sort(np.argsort(key, kind="mergesort")[:most])


@_jit
def digest(rows: np.ndarray, rssi: np.ndarray, t: np.ndarray, heard_rows: np.ndarray,
           heard_t: np.ndarray, heard: int, heard_most: int, now: float, forget_s: float,
           power: np.ndarray, rssi_low: float, rssi_high: float, rho: float, lag_s: float,
           floor_dbm: float, floor_known: bool, beacon_xy: np.ndarray, x: float, y: float,
           nearest: bool, most: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, bool, float, int,
                      int, int]:
    """beacons.heard.ScanDigester.digest after the layout look-up, in one call:
    :func:`usable_readings`; :func:`remember` of the usable beacons (room for all readings is
    the caller's); the phone's floor ``floor_dbm`` lowered to the quietest usable reading; the
    ``most`` of them :func:`strongest` picks; and, when ``floor_known``, the floor minus each
    picked beacon's 1 m power (else none). Returns (rows, excess over the 1 m power, news
    shares, floor excesses, entries remembered, whether that pruned them, the floor, readings
    rejected for RSSI, for an unknown beacon, for time)."""
    out_rows, excess, last, weight, bad_rssi, unknown, stale = usable_readings(
        rows, rssi, t, heard_rows, heard_t, heard, power, rssi_low, rssi_high, rho, lag_s)
    pruned = False
    if out_rows.size:
        heard, pruned = remember(heard_rows, heard_t, heard, out_rows, last, heard_most, now,
                                 forget_s)
        for k in range(out_rows.size):
            floor_dbm = min(floor_dbm, excess[k] + power[out_rows[k]])
        if out_rows.size > most:
            top = strongest(out_rows, excess, beacon_xy, x, y, nearest, most)
            out_rows, excess, weight = out_rows[top], excess[top], weight[top]
    floor_excess = np.empty(out_rows.size if floor_known else 0)
    for k in range(floor_excess.size):
        floor_excess[k] = floor_dbm - power[out_rows[k]]
    return (out_rows, excess, weight, floor_excess, heard, pruned, floor_dbm, bad_rssi, unknown,
            stale)
