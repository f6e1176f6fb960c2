"""Where is the walker? A particle filter on the graph's edges that says so when it does not know.

Pipeline per scan: validate readings and the GNSS fix -> move particles along edges
(speed-limited, turning at nodes) -> weigh them by the beacons' robust evidence (each particle
estimates the phone's offset and the street's path-loss exponent, see beacons.likelihood) and by
the GNSS fix's (each tracks the fix's wandering bias, see beacons.gnss_evidence) -> re-localise
if the cloud stopped explaining the readings -> weigh a wide one by the beacons not heard
(beacons.absence) -> resample -> a :class:`Fix` (``error_m``: the cloud's 90 % radius) or an
:class:`Unavailable` with a reason.

Why it does not get lost quietly or get fooled:

- readings are Student-t around a model whose offset and exponent are fitted as it goes, so an
  uncalibrated phone or a street unlike free space does not push the cloud off its street, and
  one wrong beacon (moved, spoofed, reflected) cannot drag it across the map;
- a beacon heard again counts as part news, as much as the readings' misfit is seen to persist
  from scan to scan (see beacons.persistence), and GNSS errors are a wandering bias, so a
  shadowed beacon or a drifting fix does not collapse the cloud into false certainty: the
  reported radius stays honest;
- particles move at walking speed only (turning round anywhere, as walkers do), so a burst from a
  far beacon cannot teleport the fix;
- every ``check_every_s`` (every scan while it is uncertain or the readings contradict it) the
  cloud's evidence is compared with the map's near the loudest beacon, and particles move there
  in the posterior share of "lost" (all, after ``relocalize_after_s`` of contradiction or
  ``relocalize_spread_after_s`` of no fix): a cloud seeded wrong or left behind does not stay
  confidently wrong. This needs at least ``min_beacons_to_start`` beacons or a GNSS fix, so
  one loud stranger moves nothing;
- it answers :class:`Unavailable` when readings are too few, too stale, contradictory, or when
  the 90 % radius exceeds ``max_error_m``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import networkx as nx
import numpy as np

from beacons.absence import SilentBeacons, beacons_near_cloud, unheard_evidence, unheard_near
from beacons.gnss_evidence import (
    GnssPart,
    GnssTrack,
    LocalFix,
    bias_prior,
    gnss_update,
    motion_log_evidence,
    relax_bias,
    usable_gnss,
)
from beacons.heard import HeardBeacons, ScanDigester
from beacons.lazy import kernels  # numba starts on first use
from beacons.likelihood import (
    EXPONENT_RANGE,
    BodyLoss,
    beacon_update,
    log_likelihood,
    misfit_db,
)
from beacons.model import BeaconId, BeaconPlacement, Fix, Scan, Unavailable
from beacons.particles import (
    BIAS,
    BODY,
    DIR,
    EXPONENT,
    OFFSET,
    SPEED,
    Drift,
    Particles,
    move,
    summarise,
    systematic_pick,
)
from beacons.persistence import Persistence
from beacons.positioning_map import PIECE_M, PositioningMap
from beacons.positioning_settings import PositioningSettings, PositioningStats, RadioEstimate
from beacons.relocalization import Places, StartHint, candidates, given_up, log_sum, lost_share
from beacons.seeding import draw, near_point

__all__ = [
    "PIECE_M", "InvalidScan", "Positioner", "PositioningMap",
    "PositioningSettings", "PositioningStats", "RadioEstimate", "log_likelihood",
]


def _since(since: float | None, holding: bool, t_s: float) -> float | None:
    """When a condition holding at ``t_s`` began (``since``, or now); None once it fails."""
    return (t_s if since is None else since) if holding else None


class InvalidScan(ValueError):
    """The scan as a whole cannot be used (its time goes backwards)."""


class Positioner:
    """One walker's position, updated scan by scan. Time comes only from ``scan.t_s``.

    ``graph`` may be a prebuilt :class:`PositioningMap` (then ``placements`` is ignored: the map
    already holds them); build that once per map revision and share it between sessions.
    """

    def __init__(
        self,
        graph: nx.MultiGraph | PositioningMap,
        placements: Sequence[BeaconPlacement] = (),
        settings: PositioningSettings | None = None,
        seed: int = 0,
    ) -> None:
        self.map = graph if isinstance(graph, PositioningMap) else PositioningMap(graph, placements)
        self.settings = settings or PositioningSettings()
        s = self.settings
        self._motion = s.motion
        self._drift = Drift(s.offset_drift_db2_per_s, s.exponent_drift_per_s, EXPONENT_RANGE,
                            s.body_drift_db_per_s, s.body_loss_max_db)
        model = self.settings.path_loss
        # the layout's powers, overridden by the beacons this model was calibrated for; shared,
        # not copied, when there are none (a city's layout has 500k: 4 MB per walker)
        self._power = self.map.beacon_power
        calibrated = [(b, p) for b, p in model.power_1m_dbm.items() if isinstance(b, BeaconId)]
        rows = self.map.layout.rows_of([b for b, _ in calibrated])
        overrides = [(i, p) for (_, p), i in zip(calibrated, rows, strict=True) if i is not None]
        if overrides:
            self._power = self._power.copy()
            for i, power in overrides:
                self._power[i] = power
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget everything about this walker (new session, or after a long gap)."""
        s = self.settings
        self._rng = np.random.default_rng(self._seed)
        self._p = Particles.empty()
        self._persistence = Persistence(s.misfit_persistence)
        self._digester = ScanDigester(self.map.layout, self._power, self.map.beacon_xy,
                                      self._persistence, self.map.ident_rows)
        self._last_t: float | None = None
        self._last_evidence_t: float | None = None
        self._gnss = GnssTrack()
        self._silent = SilentBeacons(s.absence_dead_prior)
        self._inconsistent_since: float | None = None
        #: Since when most of the cloud finds the GNSS fixes far off (None: it does not).
        self._gnss_contradicted_since: float | None = None
        self._next_check_t = -math.inf
        self._hint: StartHint | None = None  # hint()'s point, until a cloud is given up on
        self._uncertain = True  # the last estimate was too spread to give
        self._uncertain_since: float | None = None  # when the estimates became too spread
        self._cold = True  # no fix given since the start
        self._fix_xy = (0.0, 0.0)  # where the last fix was, in the map's metres
        self._wide = True  # the last fix's radius was over half the most allowed
        self._counts = dict.fromkeys(PositioningStats.__slots__, 0)

    @property
    def stats(self) -> PositioningStats:
        return PositioningStats(**self._counts)

    @property
    def matched_beacons(self) -> tuple[BeaconId, ...]:
        """The last scan's readings whose beacon the map knows (in order; any RSSI)."""
        return self._digester.matched

    @property
    def initialized(self) -> bool:
        return self._p.size > 0

    @property
    def radio(self) -> RadioEstimate | None:
        """The cloud's weighted belief about the phone's offset and the exponent."""
        if not self.initialized:
            return None
        state, w = self._p.state, self._p.w
        return RadioEstimate(float(state[OFFSET][0] @ w), float(state[EXPONENT] @ w))

    def hint(self, lat: float, lon: float, radius_m: float = 10.0) -> None:
        """Seed the walker near a known point (a chosen start, a scanned QR code)."""
        x, y = self.map.frame.to_xy(lat, lon)
        self._p = near_point(self.map, x, y, radius_m, self.settings, self._rng)
        self._inconsistent_since = None
        self._hint = StartHint(x, y, radius_m)

    def update(self, scan: Scan) -> Fix | Unavailable:
        """Fold one scan in. Raises :class:`InvalidScan` if time runs backwards."""
        s = self.settings
        if self._last_t is not None and scan.t_s < self._last_t:
            self._counts["rejected_time"] += 1
            raise InvalidScan(f"scan time {scan.t_s} is before the previous {self._last_t}")
        dt = 0.0 if self._last_t is None else scan.t_s - self._last_t
        self._last_t = scan.t_s
        self._hint = self._hint and self._hint.started(scan.t_s)  # its clock: the first scan
        self._counts["scans"] += 1
        if self._uncertain:
            beacons, rejected = self._digester.digest(scan, s.max_beacons_unfixed)
        else:
            beacons, rejected = self._digester.digest(
                scan, s.max_beacons_unfixed if self._wide else s.max_beacons, self._fix_xy)
        if rejected.rssi or rejected.unknown or rejected.time:
            self._counts["rejected_rssi"] += rejected.rssi
            self._counts["unknown_beacons"] += rejected.unknown
            self._counts["rejected_time"] += rejected.time
        gnss = self._gnss_evidence(scan)
        if beacons.size or gnss is not None:
            self._last_evidence_t = scan.t_s
        if not self.initialized:
            if beacons.size < s.min_beacons_to_start and gnss is None:
                return self._unavailable("too_few_beacons", scan.t_s)
            places = self._places(beacons, gnss, np.ones(beacons.size))
            if places is None:
                return self._unavailable("no_walkable_edge_near_beacons", scan.t_s)
            self._p = draw(places, s.particles, self.map, s.body_loss_max_db, self._rng)
            self._inconsistent_since = None
        else:
            move(self._p, self.map, dt, self._motion, self._drift, self._rng)
            if beacons.size or gnss is not None:
                if self._uncertain and beacons.size:
                    # no fix at the last scan (the start, or lost): the cloud is far from
                    # collapsing, so readings count at least half until it narrows to
                    # max_error_m (in full, the harshest world's first fixes came out
                    # confidently wrong, 17 m off; at the persistence ceiling's quarter, a cloud
                    # lost in a clean world spread at walking pace faster than they pulled it in)
                    beacons = dataclasses.replace(beacons,
                                                  weight=np.maximum(beacons.weight, 0.5))
                self._weigh(beacons, gnss, scan.t_s)
        if gnss is not None:
            self._gnss.last_t_s = gnss.t_s
        if self._last_evidence_t is None or scan.t_s - self._last_evidence_t > s.stale_after_s:
            return self._unavailable("stale", scan.t_s)
        if (
            self._inconsistent_since is not None
            and scan.t_s - self._inconsistent_since >= s.inconsistent_after_s
        ):
            return self._unavailable("inconsistent_readings", scan.t_s)
        return self._estimate(scan.t_s, beacons)

    # --- evidence -----------------------------------------------------------------------------

    def _gnss_evidence(self, scan: Scan) -> LocalFix | None:
        """The scan's GNSS fix as evidence; None if there is none, it is unusable (counted), or
        it is the fix already used."""
        fix, s = scan.gnss, self.settings
        if fix is None:
            return None
        if not usable_gnss(fix) or scan.t_s - fix.t_s > s.stale_after_s:
            self._counts["rejected_gnss"] += 1
            return None
        return self._gnss.local(fix, self.map.frame.to_xy(fix.lat, fix.lon), s.gnss_floor_m,
                                s.gnss_inflation, s.gnss_min_course_speed_mps)

    def _evidence_at(
        self, xy: np.ndarray, state: np.ndarray, beacons: HeardBeacons, gnss: LocalFix | None,
        body: BodyLoss, copies: int = 1,
    ) -> tuple[np.ndarray, np.ndarray, GnssPart | None]:
        """Log-evidence at points whose offset, exponent and bias beliefs are in ``state``'s
        rows (updated in place; ``copies`` beliefs a point, as beacon_update takes them), the
        beacons' inlier share, and the GNSS fix's part of the evidence with its misfit."""
        s = self.settings
        part = None
        if beacons.size:
            log_ev, state[OFFSET], inliers = beacon_update(
                xy, self.map.beacon_xy[beacons.rows], beacons.excess_db, state[OFFSET],
                state[EXPONENT], s.model_sigma_db, s.tail_dof, beacons.weight, s.height_m,
                body, beacons.floor_excess_db, s.floor_sigma_db, copies,
            )
        else:
            log_ev, inliers = np.zeros(state.shape[1]), np.ones(state.shape[1])
        if gnss is not None:
            xy = np.tile(xy, (copies, 1)) if copies > 1 else xy  # a point per belief
            relax_bias(state[BIAS], self._gnss.since_last(gnss.t_s), s.gnss_bias_s,
                       s.gnss_bias_share * gnss.sigma_m**2)
            ll_g, state[BIAS], misfit = gnss_update(xy, (gnss.x, gnss.y), state[BIAS],
                                                    gnss.sigma_m, s.gnss_bias_share,
                                                    s.gnss_outlier_prob)
            log_ev = log_ev + ll_g
            part = GnssPart(ll_g, misfit)
        return log_ev, inliers, part

    # --- particles ----------------------------------------------------------------------------

    def _places(self, beacons: HeardBeacons, gnss: LocalFix | None, weight: np.ndarray,
                stride: int = 1) -> Places | None:
        """The candidates of :func:`beacons.relocalization.candidates` (every ``stride``-th)
        with this scan's evidence there."""
        c = candidates(self.map, beacons, gnss, self.settings, self._hint, self._last_t or 0.0,
                       stride)
        if c is None:
            return None
        heard = dataclasses.replace(beacons, weight=weight)
        body = BodyLoss(self.map.unit_xy[c.edge], 0.5 * self.settings.body_loss_max_db,
                        known=False)  # which way the walker faces is not known here
        log_ev, _, _ = self._evidence_at(c.xy, c.state, heard, gnss, body, c.copies)
        return Places(c, log_ev + c.log_prior)

    def _weigh(self, beacons: HeardBeacons, gnss: LocalFix | None, t_s: float) -> None:
        s, p = self.settings, self._p
        # until the first fix the particles' directions are mere guesses, and splitting the
        # young cloud by them slowed the first fix (4-5 scans instead of 2-5): no body loss yet
        body = BodyLoss(self.map.unit_xy, 0.0 if self._cold else p.state[BODY],
                        row=p.edge, sign=p.state[DIR])
        xy = p.xy(self.map)
        # fixes far from the cloud for longer than a jump: forget the biases that hid it, and
        # check the cloud against the map at once (GnssTrack.refit)
        fresh = None if gnss is None else self._gnss.refit(gnss, xy, p.state[BIAS], p.w,
                                                           s.gnss_contradiction, s.gnss_jump_s,
                                                           s.gnss_bias_share)
        if outlived := fresh is not None:
            p.state[BIAS] = bias_prior(count=p.state.shape[1])
            self._counts["gnss_bias_reset"] += 1
            gnss = fresh
        log_ev, inliers, fix_part = self._evidence_at(xy, p.state, beacons, gnss, body)
        log_prior = np.log(p.w)
        if fix_part is not None:  # covariance matching: fixes worse than they claim count less
            self._gnss.rescale(float(p.w @ np.minimum(fix_part.misfit, s.gnss_scale_cap)),
                               s.gnss_scale_rate)
            self._gnss_contradicted_since = _since(
                self._gnss_contradicted_since,
                float(p.w @ (fix_part.misfit > s.gnss_contradiction)) >= 0.5, t_s)
        if beacons.size >= s.min_beacons_to_start:
            self._inconsistent_since = _since(self._inconsistent_since,
                                              float(p.w @ inliers) < 0.5, t_s)
        routine = not (self._inconsistent_since is not None or self._uncertain or outlived)
        if not routine or t_s >= self._next_check_t:
            if fix_part is not None and not outlived and self._gnss_jump(t_s):
                # judged by the beacons alone (without any: no search)
                moved = beacons.size > 0 and self._relocalize(
                    beacons, None, log_sum(log_ev - fix_part.log_ev + log_prior), t_s, routine)
            else:
                moved = self._relocalize(beacons, gnss, log_sum(log_ev + log_prior), t_s, routine)
            if moved:
                return
        log_ev += log_prior
        if beacons.size and gnss is None and self._wide and not self._uncertain:
            # a wide fix: silent beacons say where the walker is not (beacons.absence). Not for
            # a lost cloud: left in a hole between beacons it expected to hear, it looked sure
            # (a deaf phone, 40-150 m off); not with GNSS (README "Radio world")
            log_ev += self._unheard_log_ev(xy, body)
        if gnss is not None:
            moving = motion_log_evidence(gnss, p.state[SPEED], body.facing(),
                                         s.gnss_speed_sigma_mps, s.gnss_course_sigma_deg,
                                         s.gnss_course_outlier_prob)
            if moving is not None:
                log_ev += moving
        if kernels.normalise(log_ev, p.w) > 2.0:  # fewer than half the particles carry it
            p.take(systematic_pick(p.w, self._rng))

    def _unheard_log_ev(self, xy: np.ndarray, body: BodyLoss) -> np.ndarray | float:
        """beacons.absence's evidence (0 while the phone's floor is unknown or none is near)."""
        s, p = self.settings, self._p
        floor = self._digester.floor_dbm
        if floor is None:
            return 0.0
        rows = unheard_near(beacons_near_cloud(self.map, xy, p.w, s.absence_reach_m),
                            self._digester.heard_rows())
        if not rows.size:
            return 0.0
        self._counts["unheard_weighed"] += 1
        dead = self._silent.dead(rows, self._digester.heard_lately(rows))
        log_ev, expected = unheard_evidence(
            xy, p.w, self.map.beacon_xy[rows], floor - self._power[rows], dead, p.state[OFFSET],
            p.state[EXPONENT], body, s.floor_sigma_db, s.absence_miss_floor, s.absence_weight,
            s.absence_reach_m, s.height_m)
        self._silent.observe(rows, dead, expected)
        return log_ev

    def _gnss_jump(self, t_s: float) -> bool:
        """Whether the GNSS fixes have contradicted a cloud with a fix for less than
        ``gnss_jump_s``: then a multipath jump is likelier than a lost cloud.

        Why: with a fix 20-50 m off in the search's evidence, any place near it out-scores a
        cloud it does not fit; the whole cloud jumped, 35 m off the route, confidently (street
        world). A jump ends within seconds; a lost cloud stays contradicted."""
        since = self._gnss_contradicted_since
        return (not self._uncertain and since is not None
                and t_s - since < self.settings.gnss_jump_s)

    def _relocalize(self, beacons: HeardBeacons, gnss: LocalFix | None, cloud_log_ev: float,
                    t_s: float, routine: bool = False) -> bool:
        """Sensor resetting as a model comparison: is the walker where the cloud predicted, or
        (with prior ``lost_prior``) anywhere near the loudest beacon? Both marginal likelihoods
        of this scan are at hand, so the posterior share of "somewhere else" is exact, and that
        share of the particles (when it is at least a tenth) is drawn from the map's evidence.
        A cloud in the right place wins by concentrating there; one seeded wrong or left
        behind loses within a scan or two. Once the cloud is given up on
        (:func:`beacons.relocalization.given_up`: contradicted for long, or too spread for a
        fix for longer with no GNSS fixes agreeing), all particles move (one the fixes agree
        with is wide, not lost: over a road and its sidewalk mapped 6 m apart, moving it all on
        one scan's evidence put it on the wrong one, 10 m ahead and sure of it). After a
        :meth:`hint`, until it is given up on, only places in the walker's reach are searched."""
        s = self.settings
        self._next_check_t = t_s + s.check_every_s
        agreed = gnss is not None and self._gnss_contradicted_since is None
        lost = given_up(t_s, self._inconsistent_since,
                        None if agreed else self._uncertain_since, s)
        self._hint = None if lost else self._hint  # the start's reach: see StartHint
        if routine and not lost:
            coarse = self._places(beacons, gnss, beacons.weight, s.check_screen_stride)
            if not coarse or lost_share(cloud_log_ev, coarse, s.lost_prior) < s.check_screen_share:
                return False
        places = self._places(beacons, gnss, beacons.weight)
        if places is None:
            return False
        share = 1.0 if lost else lost_share(cloud_log_ev, places, s.lost_prior)
        if share < 0.1:  # at least nine to one for the cloud: leave it alone
            return False
        fresh = round(share * s.particles)
        self._p.take(systematic_pick(self._p.w, self._rng, s.particles - fresh))
        self._p.extend(draw(places, fresh, self.map, s.body_loss_max_db, self._rng))
        self._inconsistent_since = None
        if share == 1.0 and self._uncertain_since is not None:
            self._uncertain_since = t_s  # a fresh cloud gets its own time to narrow
        self._counts["relocalized"] += 1
        return True

    # --- output -------------------------------------------------------------------------------

    def _estimate(self, t_s: float, beacons: HeardBeacons) -> Fix | Unavailable:
        m, s = self.map, self.settings
        cloud = summarise(self._p, m, s.local_m)
        error_m = max(s.min_error_m, cloud.radius90_m)
        self._uncertain = error_m > s.max_error_m
        self._wide = error_m > 0.5 * s.max_error_m
        if not self._uncertain:
            self._uncertain_since = None
        elif self._uncertain_since is None:
            self._uncertain_since = t_s
        self._cold = self._cold and self._uncertain
        if self._uncertain:
            return self._unavailable("uncertain", t_s)
        if beacons.size:
            radio = self.radio
            assert radio is not None
            self._persistence.observe(beacons.rows, misfit_db(
                (cloud.x, cloud.y), m.beacon_xy[beacons.rows], beacons.excess_db,
                radio.offset_db, radio.exponent, s.height_m), t_s)
        self._fix_xy = (cloud.x, cloud.y)
        lat, lon = m.frame.to_latlon(cloud.x, cloud.y)
        self._counts["fixes"] += 1
        return Fix(
            lat=lat,
            lon=lon,
            level=m.node_level[m.edge_u[cloud.edge]],
            edge=int(m.edge_ids[cloud.edge]),
            offset_m=cloud.offset_m,
            error_m=error_m,
            confidence=cloud.within_3m,
            t_s=t_s,
        )

    def _unavailable(self, reason: str, t_s: float) -> Unavailable:
        self._counts["unavailable"] += 1
        return Unavailable(reason, t_s)
