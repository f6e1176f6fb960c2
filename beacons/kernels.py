"""The particle filter's inner loops, compiled (numba): one pass over the particles per stage.

Why compiled: a walker's scan touches ~300 particles and ~8-16 beacons, arrays so small that
numpy spent its time in the ~200 calls per scan, not in the arithmetic (1.2 ms a scan, the
positioner alone held a worker to one core's worth of walkers). Each stage here is one call.

The mathematics is the one documented where each is used (beacons.likelihood, beacons.particles);
random numbers are drawn by the caller's numpy Generator and passed in, so a walker's seed still
decides everything. Importing this module starts numba (about a second, more on a busy machine),
so callers import it when a walker is first positioned, not when the service starts.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_jit = numba.njit(nogil=True, cache=True, error_model="numpy")


@_jit
def body_loss_db(cos: float, loss_db: float, known: bool) -> float:
    """Expected loss (dB) for a beacon at ``cos`` of the angle from the walker's facing: the
    full loss straight behind, none ahead; facing unknown, half of it times ``|cos|``."""
    if known:
        return loss_db * max(-cos, 0.0)
    return 0.5 * loss_db * abs(cos)


@_jit
def beacon_geometry(points_xy: np.ndarray, beacon_xy: np.ndarray, min_d2: float, h2: float,
                    facing_xy: np.ndarray, facing_row: np.ndarray, facing_sign: np.ndarray,
                    body_db: np.ndarray, body: int, d2: np.ndarray, loss: np.ndarray) -> None:
    """Squared distances (floored, plus the mount height's square) of every (beacon, point)
    into ``d2`` and, when ``body`` is 1 (facing known) or 2 (only the street's line), the
    expected body loss into ``loss``. The logarithms are taken by numpy's vectorised float32
    ``log`` between the two passes (scalar ``log`` here cost five times as much); points are
    the inner loop, so it vectorises. ``points_xy`` and ``facing_xy`` are (points, 2), as the
    particles' walk and the map's unit vectors give them: no transposed copies per scan;
    with ``facing_row`` (not empty), point ``i`` faces row ``facing_row[i]`` of ``facing_xy``
    times ``facing_sign[i]`` (a particle's edge and direction: no gathered copy per scan)."""
    rows = facing_row.size > 0
    for j in range(beacon_xy.shape[0]):
        bx, by = beacon_xy[j, 0], beacon_xy[j, 1]
        for i in range(points_xy.shape[0]):
            dx, dy = bx - points_xy[i, 0], by - points_xy[i, 1]
            r2 = max(dx * dx + dy * dy, min_d2) + h2
            d2[j, i] = r2
            if body:
                if rows:
                    k, sign = facing_row[i], facing_sign[i]
                    ahead = dx * (facing_xy[k, 0] * sign) + dy * (facing_xy[k, 1] * sign)
                else:
                    ahead = dx * facing_xy[i, 0] + dy * facing_xy[i, 1]
                loss[j, i] = body_loss_db(ahead / math.sqrt(r2), body_db[i], body == 1)


def _mills_table(low: float, high: float, steps: int) -> np.ndarray:
    """The inverse Mills ratio at ``steps + 1`` points from ``low`` to ``high`` (float64)."""
    z = np.linspace(low, high, steps + 1)
    tail = 0.5 * np.array([math.erfc(v / math.sqrt(2.0)) for v in z])
    return np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) / tail


#: :func:`heard_mean_shift` is read from this table (an erfc per reading and point cost 60 us a
#: scan, a fifth of the update; interpolated, the error is below 1e-4 sigma).
_MILLS_LOW, _MILLS_HIGH, _MILLS_PER_SIGMA = -5.0, 8.0, 64
_MILLS = _mills_table(_MILLS_LOW, _MILLS_HIGH, int((_MILLS_HIGH - _MILLS_LOW) * _MILLS_PER_SIGMA))


@_jit
def table_at(table: np.ndarray, low: float, per_sigma: float, z: float) -> float:
    """``table`` (a function's values at ``low`` and every ``1 / per_sigma`` after it) at
    ``z``, interpolated; ``z`` must lie inside it (the callers clamp their tails)."""
    at = (z - low) * per_sigma
    k = int(at)
    return table[k] + (at - k) * (table[k + 1] - table[k])


@_jit
def heard_mean_shift(z: float) -> float:
    """How far above its law a reading heard only above a floor ``z`` sigma above the law's
    mean lies on average, in sigma (the inverse Mills ratio: ~0 far below the floor, ~z past
    it)."""
    if z <= _MILLS_LOW:
        return 0.0
    if z >= _MILLS_HIGH:
        return z + 1.0 / z - 2.0 / (z * z * z)
    return table_at(_MILLS, _MILLS_LOW, _MILLS_PER_SIGMA, z)


@_jit
def offset_fit(
    log_d2: np.ndarray, loss: np.ndarray, body: bool, excess_db: np.ndarray,
    floor_excess_db: np.ndarray, floor_sigma_db: float, offset_mean: np.ndarray,
    offset_var: np.ndarray, exponent: np.ndarray, weight: np.ndarray, sigma_db: float,
    dof: float, db_per_ln_d2: float, outlier_cap: float, t_norm: float, post: np.ndarray,
    inliers: np.ndarray, misfit: np.ndarray,
) -> np.ndarray:
    """The robust offset fit of beacons.likelihood.beacon_update at every belief, from the
    readings' log squared distances (beacons, points): the offset posterior into ``post``, the
    inlier share into ``inliers``, ``1 +`` each reading's capped misfit at the posterior into
    ``misfit`` (its log, weighted, is the fit term; it may be ``log_d2`` itself when there is
    one belief per point); returns the log-evidence without the fit term. Beliefs are the
    inner loop, so it vectorises: there are a whole number of them per point (``offset_mean``'s
    size over the points), belief ``k * points + i`` at point ``i`` (the geometry is the same
    for each of a place's exponents). With ``floor_excess_db`` (one per reading, or empty)
    each reading is compared with what the law gives *given that it was heard* above the
    phone's floor."""
    b, points = log_d2.shape
    n = offset_mean.size
    var = sigma_db * sigma_db
    total = max(weight.sum(), 1e-12)
    e = np.empty((b, n))
    level = np.zeros(n)
    floored = floor_excess_db.size == b
    z = np.empty(n if floored else 0)
    for j in range(b):
        for c in range(n // points):
            for q in range(points):
                i = c * points + q
                r = excess_db[j] - db_per_ln_d2 * log_d2[j, q] * exponent[i] - offset_mean[i]
                if body:
                    r += loss[j, q]
                e[j, i] = r
        if floored:  # the divisions vectorise apart from the table's look-ups: half the time
            lift = floor_excess_db[j] - excess_db[j]
            for i in range(n):
                z[i] = (lift + e[j, i]) / floor_sigma_db
            for i in range(n):
                e[j, i] -= floor_sigma_db * heard_mean_shift(z[i])
        for i in range(n):
            level[i] += weight[j] * e[j, i]
    s0, t0 = np.zeros(n), np.zeros(n)
    inliers[:] = 0.0
    for j in range(b):
        prec, share = weight[j] * ((dof + 1.0) / var), weight[j] / total
        for i in range(n):
            z = e[j, i] - level[i] / total
            z2 = z * z / var
            a = prec / (z2 + dof)
            s0[i] += a
            t0[i] += a * e[j, i]
            inliers[i] += share if z2 < 9.0 else 0.0
    out = np.empty(n)
    for i in range(n):
        prior = offset_var[i]
        gain = 1.0 / (1.0 / prior + s0[i])
        shift = gain * t0[i]
        out[i] = total * t_norm - 0.5 * (shift * shift / prior + math.log(prior / gain))
        post[0, i] = offset_mean[i] + shift
        post[1, i] = gain
    for j in range(b):
        for i in range(n):
            r = e[j, i] - post[0, i] + offset_mean[i]
            misfit[j, i] = 1.0 + min(r * r / (dof * var), outlier_cap)
    return out


@_jit
def subtract_scaled(out: np.ndarray, scale: float, values: np.ndarray) -> None:
    """``out -= scale * values`` in place, ``values`` float32 and the product taken in float32
    as numpy takes it (the scale rounded to float32 first), one pass instead of two numpy
    calls and a temporary."""
    factor = np.float32(scale)
    for i in range(out.size):
        out[i] -= factor * values[i]


@_jit
def drift(offset_var: np.ndarray, exponent: np.ndarray, body: np.ndarray, normal: np.ndarray,
          var_step: float, exponent_step: float, exponent_low: float, exponent_high: float,
          body_step: float, body_max: float) -> None:
    """The radio beliefs forget, in place: the offset's variance grows by ``var_step``, the
    exponent and body loss walk randomly within their bounds."""
    for i in range(exponent.size):
        offset_var[i] += var_step
        exponent[i] = min(max(exponent[i] + normal[0, i] * exponent_step, exponent_low),
                          exponent_high)
        body[i] = min(max(body[i] + normal[1, i] * body_step, 0.0), body_max)


@_jit
def walk(
    edge: np.ndarray, state: np.ndarray, normal: np.ndarray, uniform: np.ndarray, dt: float,
    turn_p: float, speed_sigma: float, max_speed: float, jitter: float, length: np.ndarray,
    edge_ends: np.ndarray, end_slot: np.ndarray, incident_ptr: np.ndarray,
    incident: np.ndarray, a_xy: np.ndarray, unit_xy: np.ndarray,
) -> np.ndarray:
    """beacons.particles.move in place (rows 0-2 of ``state``: along, direction, speed);
    returns the particles' new (x, y). ``normal`` and ``uniform`` are (2, particles) draws.

    A particle passing several nodes in one step reuses its uniform's unused part (``u * k``
    minus its whole part is again uniform and independent of the choice made)."""
    root = math.sqrt(dt)
    xy = np.empty((edge.size, 2))
    for i in range(edge.size):
        if uniform[0, i] < turn_p:
            state[1, i] = -state[1, i]
        speed = min(max(state[2, i] + normal[0, i] * speed_sigma * root, 0.0), max_speed)
        state[2, i] = speed
        e = edge[i]
        along = state[0, i] + normal[1, i] * jitter * root + state[1, i] * speed * dt
        u = uniform[1, i]
        for _ in range(8):  # pass through at most a few nodes per step
            if 0.0 <= along <= length[e]:
                break
            at_v = along > length[e]
            end = 1 if at_v else 0
            node = edge_ends[end, e]
            start = incident_ptr[node]
            others = incident_ptr[node + 1] - start - 1
            k = int(u * others)
            if others > 0:
                u = u * others - k
                if k >= end_slot[end, e]:
                    k += 1
            left = along - length[e] if at_v else -along
            e = incident[start + k]
            from_u = edge_ends[0, e] == node
            along = left if from_u else length[e] - left
            state[1, i] = 1.0 if from_u else -1.0
        along = min(max(along, 0.0), length[e])
        edge[i] = e
        state[0, i] = along
        xy[i, 0] = a_xy[e, 0] + along * unit_xy[e, 0]
        xy[i, 1] = a_xy[e, 1] + along * unit_xy[e, 1]
    return xy


@_jit
def step(
    edge: np.ndarray, state: np.ndarray, normal: np.ndarray, uniform: np.ndarray, dt: float,
    turn_p: float, speed_sigma: float, max_speed: float, jitter: float, length: np.ndarray,
    edge_ends: np.ndarray, end_slot: np.ndarray, incident_ptr: np.ndarray,
    incident: np.ndarray, a_xy: np.ndarray, unit_xy: np.ndarray, rows: np.ndarray,
    drift_normal: np.ndarray, var_step: float, exponent_step: float, exponent_low: float,
    exponent_high: float, body_step: float, body_max: float,
) -> np.ndarray:
    """One call for the particles' time step: :func:`walk`, then :func:`drift` of the rows
    ``rows`` (offset variance, exponent, body loss) of ``state``; returns the new (x, y)."""
    xy = walk(edge, state, normal, uniform, dt, turn_p, speed_sigma, max_speed, jitter, length,
              edge_ends, end_slot, incident_ptr, incident, a_xy, unit_xy)
    drift(state[rows[0]], state[rows[1]], state[rows[2]], drift_normal, var_step,
          exponent_step, exponent_low, exponent_high, body_step, body_max)
    return xy


@_jit
def cloud_point(w: np.ndarray, edge: np.ndarray, xy: np.ndarray, local_m: float,
                buckets: int, a_xy: np.ndarray, b_xy: np.ndarray
                ) -> tuple[int, float, float, float, float, float]:
    """beacons.particles.summarise: (edge, fraction along it, x, y, 90 % radius, weight within
    3 m) of the cloud."""
    n = w.size
    mass = np.zeros(buckets)
    for i in range(n):
        mass[edge[i] & (buckets - 1)] += w[i]
    # np.argmax(mass), looking only at the buckets particles are in (the first of the
    # heaviest; bucket 0 when all are empty)
    top, most = 0, mass[0]
    for i in range(n):
        b = edge[i] & (buckets - 1)
        if mass[b] > most or (mass[b] == most and b < top):
            top, most = b, mass[b]
    heaviest, best_w = 0, -1.0
    for i in range(n):
        if (edge[i] & (buckets - 1)) == top and w[i] > best_w:
            heaviest, best_w = i, w[i]
    busy = edge[heaviest]
    sw = sx = sy = 0.0
    for i in range(n):
        if edge[i] == busy:
            sw += w[i]
            sx += w[i] * xy[i, 0]
            sy += w[i] * xy[i, 1]
    ax, ay = sx / sw, sy / sw
    near = np.empty(n, dtype=np.bool_)
    sw = sx = sy = 0.0
    for i in range(n):
        dx, dy = xy[i, 0] - ax, xy[i, 1] - ay
        near[i] = edge[i] == busy or dx * dx + dy * dy <= local_m * local_m
        if near[i]:
            sw += w[i]
            sx += w[i] * xy[i, 0]
            sy += w[i] * xy[i, 1]
    cx, cy = sx / sw, sy / sw
    best, best_d2 = busy, np.inf
    for i in range(n):
        if near[i]:
            dx, dy = xy[i, 0] - cx, xy[i, 1] - cy
            if dx * dx + dy * dy < best_d2:
                best, best_d2 = edge[i], dx * dx + dy * dy
    x0, y0 = a_xy[best, 0], a_xy[best, 1]
    ux, uy = b_xy[best, 0] - x0, b_xy[best, 1] - y0
    t = min(1.0, max(0.0, ((cx - x0) * ux + (cy - y0) * uy) / max(ux * ux + uy * uy, 1e-12)))
    fx, fy = x0 + t * ux, y0 + t * uy
    d2 = np.empty(n)
    within = 0.0
    for i in range(n):
        dx, dy = xy[i, 0] - fx, xy[i, 1] - fy
        d2[i] = dx * dx + dy * dy
        if d2[i] <= 9.0:
            within += w[i]
    return best, t, fx, fy, math.sqrt(weighted_quantile(d2, w, 0.9 * w.sum())), within


@_jit
def weighted_quantile(values: np.ndarray, w: np.ndarray, goal: float) -> float:
    """The smallest of ``values`` whose weight together with that of every smaller one reaches
    ``goal`` (the largest if none does), by selection rather than a sort: each pass splits the
    values still in question at the middle of three and keeps the side the answer lies on,
    O(n) on average where the cloud's summary spent most of its time sorting 300 distances.
    Equal weights (every resampled cloud) are summed one by one as a sort's running sum would,
    so 270 of 300 particles reach 90 % exactly where they did, not a rounding either side."""
    n = values.size
    if n and (w == w[0]).all():
        k, cum = n - 1, 0.0
        for r in range(n):
            cum += w[0]
            if cum >= goal:
                k = r
                break
        return np.partition(values, k)[k]
    lo, hi = 0, n
    order = np.arange(n)
    while hi - lo > 1:
        a, b, c = values[order[lo]], values[order[(lo + hi) // 2]], values[order[hi - 1]]
        pivot = max(min(a, b), min(max(a, b), c))
        below = lo  # order[lo:below] < pivot, order[below:i] == pivot, order[above:hi] > pivot
        i, above = lo, hi
        w_below = w_equal = 0.0
        while i < above:
            v = values[order[i]]
            if v < pivot:
                order[below], order[i] = order[i], order[below]
                w_below += w[order[below]]
                below += 1
                i += 1
            elif v > pivot:
                above -= 1
                order[above], order[i] = order[i], order[above]
            else:
                w_equal += w[order[i]]
                i += 1
        if w_below >= goal:
            hi = below
        elif w_below + w_equal >= goal or above == hi:
            return pivot
        else:
            goal -= w_below + w_equal
            lo = above
    return values[order[lo]]


@_jit
def normalise(log_w: np.ndarray, w: np.ndarray) -> float:
    """Weights proportional to ``exp(log_w)``, summing to 1, into ``w``; returns
    ``n * sum(w^2)`` (above 2, fewer than half the particles carry the weight)."""
    top = log_w.max()
    total = 0.0
    for i in range(w.size):
        w[i] = math.exp(log_w[i] - top)
        total += w[i]
    square = 0.0
    for i in range(w.size):
        w[i] /= total
        square += w[i] * w[i]
    return square * w.size


@_jit
def systematic(w: np.ndarray, u: float, count: int) -> np.ndarray:
    """beacons.particles.systematic_pick with its one uniform draw ``u``: index of the weight
    whose cumulative sum first reaches ``(u + k) * sum(w) / count``, for each k."""
    total = w.sum()
    out = np.empty(count, dtype=np.intp)
    i, cum = 0, w[0]
    for k in range(count):
        position = (u + k) * (total / count)
        while cum < position and i < w.size - 1:
            i += 1
            cum += w[i]
        out[k] = i
    return out


@_jit
def paired_power(last_rows: np.ndarray, last_resid: np.ndarray, rows: np.ndarray,
                 resid_db: np.ndarray, clip_db: float, pair: bool
                 ) -> tuple[float, float, int, np.ndarray, np.ndarray]:
    """beacons.persistence.Persistence.observe in one pass: the residuals clipped to
    +-``clip_db``; when ``pair``, those of the beacons in both scans (``last_rows`` sorted)
    paired: the sum of their products, half the sum of their squares, and how many pairs;
    and this scan's rows and clipped residuals sorted by row, for the next scan."""
    resid = np.empty(resid_db.size)
    for k in range(resid.size):
        resid[k] = min(max(resid_db[k], -clip_db), clip_db)
    cross = power = 0.0
    pairs = 0
    for k in range(rows.size if pair else 0):
        at = min(np.searchsorted(last_rows, rows[k]), last_rows.size - 1)
        if last_rows[at] == rows[k]:
            a, b = resid[k], last_resid[at]
            cross += a * b
            power += 0.5 * (a * a + b * b)
            pairs += 1
    order = np.argsort(rows)
    return cross, power, pairs, rows[order], resid[order]


@_jit
def misfit(x: float, y: float, beacon_xy: np.ndarray, excess_db: np.ndarray, offset_db: float,
           exponent: float, min_d2: float, h2: float, db_per_ln_d2: float) -> np.ndarray:
    """beacons.likelihood.misfit_db: each reading's miss of the law at one point."""
    out = np.empty(excess_db.size)
    for j in range(excess_db.size):
        dx, dy = beacon_xy[j, 0] - x, beacon_xy[j, 1] - y
        d2 = max(dx * dx + dy * dy, min_d2) + h2
        out[j] = excess_db[j] - offset_db - exponent * db_per_ln_d2 * math.log(d2)
    return out


def warm() -> None:
    """Have numba ready (its start and this module's cached machine code): a second, several
    on a busy machine, better spent before the first walker's scan than during it."""
    systematic(np.ones(1), 0.5, 1)
