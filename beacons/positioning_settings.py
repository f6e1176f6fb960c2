"""What a walker's positioner may be told (settings, each with its reason) and what it tells
back about itself (counters, its belief about the radio)."""

from __future__ import annotations

from dataclasses import dataclass, field

from beacons.particles import Motion
from beacons.pathloss import PathLossModel


@dataclass(frozen=True, slots=True)
class PositioningSettings:
    """Knobs with their reasons; defaults fit a phone among beacons ~10 m apart."""

    particles: int = 300
    path_loss: PathLossModel = field(default_factory=PathLossModel)  # prior exponent, powers
    model_sigma_db: float = 5.0  # a reading's spread around the fitted model
    tail_dof: float = 4.0  # Student-t degrees of freedom: a few readings miss by 10-20 dB
    #: A reading's whole spread around the law, for what a phone's floor hides (see
    #: likelihood.beacon_update): shadowing 6.7 dB and fading 4.0 dB fitted on the Kolakowski
    #: flat (beacons.radiofit) make 7.8.
    floor_sigma_db: float = 8.0
    offset_sigma_db: float = 6.0  # prior spread of the phone's offset
    exponent_sigma: float = 0.8  # prior spread of the exponent around path_loss.exponent
    offset_drift_db2_per_s: float = 0.05  # the phone moves from hand to pocket
    exponent_drift_per_s: float = 0.02  # per sqrt(second): the street changes
    #: The most of a beacon's misfit assumed to stay from one scan a second later (the news
    #: share is then a quarter); lower when the readings show it (~0.2 in a clean channel).
    misfit_persistence: float = 0.6
    max_beacons: int = 8  # the nearest to the fix carry nearly all that a scan knows
    #: ... once the cloud has narrowed. A cloud with no fix (the start, a resumed session, lost)
    #: has an unknown offset and exponent too, and eight readings leave 30 m of near-flat
    #: evidence: the first fix took 4-8 scans next to the station's beacons, 1-3 with sixteen.
    max_beacons_unfixed: int = 16
    height_m: float = 0.0  # beacons' mount height above the phone
    #: A beacon straight behind the walker reads low by the body between it and the phone held
    #: in front: each particle has its own loss, drawn from 0 to this, and the cloud learns it
    #: (unmodelled, it is a bias lasting while the beacon stays behind; on a sparse layout it
    #: pulled confident fixes 8-12 m off).
    body_loss_max_db: float = 10.0
    body_drift_db_per_s: float = 0.3  # per sqrt(second): the phone moves to the pocket
    max_speed_mps: float = 2.0
    speed_sigma_mps: float = 0.3  # per sqrt(second): how quickly pace changes
    jitter_m: float = 0.4  # per sqrt(second): slack for steps and map error
    turn_back_per_s: float = 0.01  # per second: walkers turn round (see particles.Motion)
    min_beacons_to_start: int = 2
    stale_after_s: float = 4.0
    #: The 90 % radius beyond which no fix is given: which side of a street, or which of two
    #: junctions, can no longer be told.
    max_error_m: float = 10.0
    min_error_m: float = 1.0  # the map and the walker's own width
    local_m: float = 3.0  # the fix is the mean of the particles this close to the busiest edge
    inconsistent_after_s: float = 2.0
    relocalize_after_s: float = 5.0  # of readings contradicting the cloud: it is lost
    relocalize_spread_after_s: float = 15.0  # too spread for a fix (see relocalization.given_up)
    search_radius_m: float = 30.0  # where to seed particles around the loudest beacon
    gnss_floor_m: float = 4.0  # per-axis sigma never trusted below this
    gnss_inflation: float = 1.5  # platforms' accuracy is often optimistic
    gnss_bias_share: float = 0.8  # of a fix's error variance, the part that wanders slowly
    gnss_bias_s: float = 30.0  # how long the GNSS error takes to wander off
    gnss_outlier_prob: float = 0.1  # multipath jumps
    gnss_scale_rate: float = 0.05  # per fix: how fast the fixes' observed misfit rescales them
    gnss_scale_cap: float = 9.0  # one fix's misfit counts at most this much (a jump is no scale)
    #: The phone's Doppler speed and course (assumed spreads, wider than a phone's best): see
    #: gnss_evidence.motion_log_evidence. Below the minimum speed a course is not used.
    gnss_speed_sigma_mps: float = 0.4
    gnss_course_sigma_deg: float = 30.0
    gnss_course_outlier_prob: float = 0.2
    gnss_min_course_speed_mps: float = 0.6
    #: A fix this far off (its squared misfit in units of its expected size; 4.5 is 3 sigma)
    #: contradicts a particle; the cloud is contradicted when most of it is.
    gnss_contradiction: float = 4.5
    #: How long GNSS alone may contradict a cloud with a fix before the cloud is searched for
    #: elsewhere: multipath jumps last seconds (see Positioner._gnss_jump).
    gnss_jump_s: float = 10.0
    #: Beacons near the cloud that a scan did not hear count against the places that would
    #: have heard them (beacons.absence) while the fix is wide (over half ``max_error_m``)
    #: and the scan has no GNSS fix: not hearing a near live beacon happens
    #: at least ``absence_miss_floor`` of the time (lost, shadowed), a beacon never heard is
    #: dead with ``absence_dead_prior`` (3 % of the harsh world's are), a scan's silence counts
    #: ``absence_weight`` (the next one's is much the same; 0: not at all; at 0.5 a clean
    #: walk's first fixes widened past 9 m, tests/beacons/test_positioning.py), and beacons
    #: beyond ``absence_reach_m`` are not expected.
    absence_dead_prior: float = 0.1
    absence_miss_floor: float = 0.1
    absence_weight: float = 0.25
    absence_reach_m: float = 20.0
    check_every_s: float = 5.0  # how often a confident cloud is checked against the map
    lost_prior: float = 0.05  # the chance, at a check, that the cloud is somewhere wrong
    #: A confident cloud's routine check first weighs the map on every ``check_screen_stride``-th
    #: candidate point and stops there when that coarse map leaves "somewhere else" less than
    #: ``check_screen_share`` (the full check moves particles from a share of 0.1). Why: it
    #: weighed 1,000-1,600 candidates every 5 s against a cloud of 300 particles, a sixth of a
    #: worker's positioning CPU, almost always to leave the cloud alone. A point every 4 m
    #: instead of every metre put the map's share at most 5.4 times too low in positioner_ab's
    #: four worlds (1,461 routine checks); stopping needs it 10 times below the threshold, so no
    #: check there decided otherwise. An uncertain, contradicted or given-up cloud's check and
    #: one after the GNSS biases were reset are never screened. 1: no screen.
    check_screen_stride: int = 4
    check_screen_share: float = 0.01

    @property
    def motion(self) -> Motion:
        return Motion(self.max_speed_mps, self.speed_sigma_mps, self.jitter_m,
                      self.turn_back_per_s)


@dataclass(frozen=True, slots=True)
class PositioningStats:
    """Counters since the last reset. ``rejected_time`` counts refused scans (time going
    backwards) and single readings older than the same beacon's previous one;
    ``rejected_gnss`` GNSS fixes that were not finite, off the globe, with an accuracy <= 0,
    or too old; ``relocalized`` the times the cloud, wholly or in part, was moved to where the
    evidence pointed; ``gnss_bias_reset`` the times the GNSS biases the particles had learnt
    were forgotten because the fixes stayed far from the cloud; ``unheard_weighed`` the scans
    whose unheard beacons near the cloud were weighed (beacons.absence)."""

    scans: int = 0
    fixes: int = 0
    unavailable: int = 0
    unknown_beacons: int = 0
    rejected_rssi: int = 0
    rejected_time: int = 0
    rejected_gnss: int = 0
    relocalized: int = 0
    gnss_bias_reset: int = 0
    unheard_weighed: int = 0


@dataclass(frozen=True, slots=True)
class RadioEstimate:
    """What the cloud has learnt of the radio: the phone reads ``offset_db`` above the
    calibrated powers, and signals fall with ``exponent``."""

    offset_db: float
    exponent: float
