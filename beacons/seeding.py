"""Where a walker's particles are put: fresh particles at given points, and a cloud drawn from
candidate places in proportion to their evidence (a start, a hint, a re-localisation).

Pure: the caller's numpy Generator decides every draw, so a walker's seed still decides
everything.
"""

from __future__ import annotations

import numpy as np

from beacons.gnss_evidence import bias_prior
from beacons.likelihood import exponent_grid, offset_prior
from beacons.particles import (
    ALONG,
    BIAS,
    BODY,
    DIR,
    EXPONENT,
    OFFSET,
    ROWS,
    SPEED,
    Particles,
    systematic_pick,
)
from beacons.positioning_map import PositioningMap
from beacons.positioning_settings import PositioningSettings
from beacons.relocalization import Places


def new_particles(edge: np.ndarray, along: np.ndarray, offset: np.ndarray,
                  exponent: np.ndarray, bias: np.ndarray, body_loss_max_db: float,
                  rng: np.random.Generator) -> Particles:
    """Particles at the given points, walking either way at a random pace, their body loss
    anywhere up to ``body_loss_max_db``."""
    n = edge.size
    state = np.empty((ROWS, n))
    state[ALONG] = along
    state[DIR] = rng.choice([-1.0, 1.0], size=n)
    state[SPEED] = rng.uniform(0.0, 1.5, n)
    state[OFFSET] = offset
    state[EXPONENT] = exponent
    state[BIAS] = bias
    state[BODY] = rng.uniform(0.0, body_loss_max_db, n)
    return Particles(edge, state)


def near_point(pmap: PositioningMap, x: float, y: float, radius_m: float,
               s: PositioningSettings, rng: np.random.Generator) -> Particles:
    """A cloud on the paths within ``radius_m`` of a known point (the nearest path when none is
    that near), with the priors' radio beliefs."""
    edge, offset, _ = pmap.samples_near(x, y, radius_m)
    if not edge.size:
        edge, offset, _ = pmap.nearest_on_edges(np.array([[x, y]]))
    pick = rng.integers(0, edge.size, s.particles)
    exponents, _ = exponent_grid(s.path_loss.exponent, s.exponent_sigma, s.particles)
    return new_particles(edge[pick], offset[pick], offset_prior(s.offset_sigma_db),
                         rng.permutation(exponents), bias_prior(), s.body_loss_max_db, rng)


def draw(places: Places, count: int, pmap: PositioningMap, body_loss_max_db: float,
         rng: np.random.Generator) -> Particles:
    """``count`` particles at ``places`` in proportion to their evidence, jittered along their
    edge by +-half a sample step so they cover it evenly."""
    w = np.exp(places.log_ev - places.log_ev.max())
    pick = systematic_pick(w, rng, count)
    at = places.at
    point = pick % at.points
    edge = at.edge[point]
    step = pmap.length[edge] / pmap.sample_count[edge]  # not the whole map's: a city's 200k
    along = np.clip(at.along[point] + rng.uniform(-0.5, 0.5, count) * step, 0.0,
                    pmap.length[edge])
    st = at.state
    return new_particles(edge, along, st[OFFSET][:, pick], st[EXPONENT][pick],
                         st[BIAS][:, pick], body_loss_max_db, rng)
