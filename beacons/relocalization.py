"""Where else the walker could be: the candidate places a lost cloud is re-seeded from, and the
model comparison that says how much of the cloud to move there (sensor resetting).

Is the walker where the cloud predicted, or (with prior ``lost_prior``) anywhere near the
loudest beacon, or the GNSS fix when too few beacons are heard? Both marginal likelihoods of
the scan are at hand, so the posterior share of "somewhere else" is exact. Pure: arrays in,
arrays and numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from beacons.gnss_evidence import LocalFix, bias_prior
from beacons.heard import HeardBeacons
from beacons.likelihood import exponent_grid, offset_prior
from beacons.particles import BIAS, EXPONENT, OFFSET, ROWS
from beacons.positioning_map import PositioningMap
from beacons.positioning_settings import PositioningSettings


@dataclass(frozen=True, slots=True)
class Candidates:
    """Map points to search, each once per exponent of the prior's grid, with the radio
    beliefs of a walker nobody knows anything about (the priors, not what the cloud learnt: a
    lost cloud learns whatever offset makes its wrong place fit). Candidate ``k`` is at point
    ``k % points``: the points are not repeated (their geometry is the same for every
    exponent, beacons.likelihood.beacon_update's ``copies``)."""

    edge: np.ndarray  # per point
    along: np.ndarray  # per point
    xy: np.ndarray  # per point
    state: np.ndarray  # per candidate
    log_prior: np.ndarray  # of each candidate's exponent
    points: int  # distinct map points (the candidates are points x exponents)

    @property
    def copies(self) -> int:
        """Candidates per point."""
        return self.state.shape[1] // self.points


@dataclass(frozen=True, slots=True)
class Places:
    """Candidates with a scan's evidence at each (their exponent's prior included)."""

    at: Candidates
    log_ev: np.ndarray


def log_sum(log_w: np.ndarray) -> float:
    """log(sum(exp(log_w))) without overflow."""
    top = float(log_w.max())
    return top + math.log(float(np.exp(log_w - top).sum()))


@dataclass(slots=True)
class StartHint:
    """Where the walker was said to be (:meth:`Positioner.hint`: a chosen start, a scanned
    code), within ``radius_m``, as of the first scan after it (``t_s``; None until then).

    Why: from there the walker can have walked at most ``max_speed`` a second, yet a cloud
    re-seeded in its first seconds was drawn from anywhere near the loudest beacon; in the
    harsh world (a phone 4 dB low, exponent 2.2) it put the first fix 13 m ahead of a walker
    3.6 m from the start, with a 3 m radius, and the turn 11 m in was taken as passed.
    """

    x: float
    y: float
    radius_m: float
    t_s: float | None = None

    def started(self, t_s: float) -> StartHint:
        """This hint, its clock started at ``t_s`` unless it already was."""
        if self.t_s is None:
            self.t_s = t_s
        return self

    def reach_m(self, t_s: float, max_speed_mps: float) -> float:
        """How far from the hinted point the walker can be at ``t_s``."""
        start = t_s if self.t_s is None else self.t_s
        return self.radius_m + max_speed_mps * max(0.0, t_s - start)

    def within(self, xy: np.ndarray, reach_m: float) -> np.ndarray | None:
        """Which of the points ``xy`` lie within ``reach_m`` of the hinted point; None when all
        or none do (then none is cut: a wrong hint does not empty the search)."""
        keep = np.hypot(xy[:, 0] - self.x, xy[:, 1] - self.y) <= reach_m
        return None if keep.all() or not keep.any() else keep


def candidates(pmap: PositioningMap, beacons: HeardBeacons, gnss: LocalFix | None,
               s: PositioningSettings, hint: StartHint | None = None, t_s: float = 0.0,
               stride: int = 1) -> Candidates | None:
    """Map points near the loudest beacon (with at least ``min_beacons_to_start``) or else near
    the GNSS fix, those within the walker's reach of ``hint`` at ``t_s`` only; None when
    neither gives a centre or no path is near it. With ``stride``, every ``stride``-th of those
    points only (points lie every metre along each edge: a spread, coarser grid)."""
    if beacons.size >= s.min_beacons_to_start:
        loudest = int(beacons.rows[int(np.argmax(beacons.excess_db))])
        edge, along, xy = pmap.samples_near_beacon(loudest, s.search_radius_m)
    elif gnss is not None:
        edge, along, xy = pmap.samples_near(gnss.x, gnss.y,
                                            max(s.search_radius_m, 3.0 * gnss.sigma_m))
    else:
        return None
    if not edge.size:
        return None
    if stride > 1:
        edge, along, xy = edge[::stride], along[::stride], xy[::stride]
    # the hint's cut before the priors are laid out: a live walker's search is hinted until
    # given up on, and laying out then copying every point's five beliefs cost more than the cut
    keep = None if hint is None else hint.within(xy, hint.reach_m(t_s, s.max_speed_mps))
    if keep is not None:
        edge, along, xy = edge[keep], along[keep], xy[keep]
    exponents, log_prior = exponent_grid(s.path_loss.exponent, s.exponent_sigma)
    g = exponents.size
    state = np.empty((ROWS, edge.size * g))
    state[OFFSET] = offset_prior(s.offset_sigma_db)
    state[EXPONENT] = np.repeat(exponents, edge.size)
    state[BIAS] = bias_prior()
    return Candidates(edge, along, xy, state, np.repeat(log_prior, edge.size), edge.size)


def given_up(t_s: float, contradicted_since: float | None, spread_since: float | None,
             s: PositioningSettings) -> bool:
    """Whether all of a cloud is to move: readings have contradicted it for
    ``relocalize_after_s`` (a cloud that long lost learnt an offset and exponent that fit its
    wrong place; seen: 80 m off, out-scoring the map next to the walker for minutes), or it
    has been too spread for a fix (and no GNSS fixes agree with it) for
    ``relocalize_spread_after_s``. A spread cloud is not a contradicted one: re-seeded after
    5 s, the fresh particles walk either way at any pace and spread again before the readings
    narrow them; in the harsh world (exponent 3.2, a beacon heard only within ~7 m) that kept a
    walker without a fix for 20 s before a turn, re-seeded nine times over."""
    return ((contradicted_since is not None and t_s - contradicted_since >= s.relocalize_after_s)
            or (spread_since is not None
                and t_s - spread_since >= s.relocalize_spread_after_s))


def lost_share(cloud_log_ev: float, places: Places, lost_prior: float) -> float:
    """The posterior share of "the walker is somewhere else" (unless the cloud is
    :func:`given_up` on: then all of it)."""
    map_log_ev = log_sum(places.log_ev) - math.log(places.at.points)
    odds = (1.0 - lost_prior) / lost_prior * math.exp(min(cloud_log_ev - map_log_ev, 700.0))
    return 1.0 / (1.0 + odds)
