"""Satellite fixes as one more piece of evidence for a walker on the map.

Urban GNSS is typically 7-13 m off, and not in a way that averages out: the error wanders over
tens of seconds (the same reflections, the same satellites), so ten fixes in ten seconds say
little more than one. It is modelled as a slowly wandering *bias* per particle (a Gaussian that
relaxes toward zero with ``time_constant_s``) plus white noise: consecutive fixes then count as
correlated evidence, and where beacons pin the walker down, the particles learn the bias and
carry it into the stretch between beacons. A multipath jump of 20-50 m is an outlier of a
mixture ("honest fix" or "anywhere within OUTLIER_RADIUS_M"), whose weight saturates: it cannot
drag the walker across a street. The phone's reported accuracy is often optimistic, so it is
inflated and floored before use, and the positioner scales it further by how far the fixes
actually fall from where it knows the walker to be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from beacons.model import GnssFix

#: Rows of a bias belief array (shape (3, points)): mean east, mean north (m), per-axis variance.
BIAS_X, BIAS_Y, BIAS_VAR = range(3)
#: An outlier fix is equally likely anywhere within this distance of the truth.
OUTLIER_RADIUS_M = 100.0


def usable_gnss(fix: GnssFix) -> bool:
    """Finite, on the globe, with a positive accuracy: anything else is ignored, not trusted."""
    values = (fix.lat, fix.lon, fix.accuracy_m, fix.t_s)
    return (
        all(isinstance(v, int | float) and math.isfinite(v) for v in values)
        and -90.0 <= fix.lat <= 90.0
        and -180.0 <= fix.lon <= 180.0
        and fix.accuracy_m > 0.0
    )


def gnss_sigma_m(fix: GnssFix, floor_m: float, inflation: float) -> float:
    """Per-axis sigma to use for ``fix``: the platform's claim, inflated and floored."""
    return max(floor_m, inflation * fix.sigma_m)


def bias_prior(stationary_var_m2: float = math.inf, count: int = 1) -> np.ndarray:
    """Bias belief of points that have seen no fix yet (an infinite variance stands for "the
    stationary one, whatever the next fix says it is")."""
    prior = np.zeros((3, count))
    prior[BIAS_VAR] = stationary_var_m2
    return prior


def relax_bias(bias: np.ndarray, dt_s: float, time_constant_s: float,
               stationary_var_m2: float) -> None:
    """Let the bias belief forget, in place, over ``dt_s`` (Ornstein-Uhlenbeck); it is never
    less certain than knowing nothing."""
    rho = math.exp(-max(dt_s, 0.0) / time_constant_s)
    bias[BIAS_X] *= rho
    bias[BIAS_Y] *= rho
    known = np.minimum(bias[BIAS_VAR], stationary_var_m2)
    bias[BIAS_VAR] = stationary_var_m2 - rho * rho * (stationary_var_m2 - known)


def gnss_update(
    points_xy: np.ndarray,
    fix_xy: tuple[float, float],
    bias: np.ndarray,
    sigma_m: float,
    bias_share: float,
    outlier_prob: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-evidence of a fix at each point, the updated bias belief there, and the squared
    innovation in units of its expected size (about 1 when ``sigma_m`` is honest).

    ``sigma_m`` is the per-axis spread of the fix around the truth, of which ``bias_share`` (of
    the variance) is the wandering bias already in ``bias`` and the rest white noise.
    """
    white = (1.0 - bias_share) * sigma_m * sigma_m
    vx = fix_xy[0] - points_xy[:, 0] - bias[BIAS_X]
    vy = fix_xy[1] - points_xy[:, 1] - bias[BIAS_Y]
    spread = bias[BIAS_VAR] + white
    surprise = (vx * vx + vy * vy) / (2.0 * spread)
    honest = math.log1p(-outlier_prob) - np.log(2.0 * math.pi * spread) - surprise
    anywhere = math.log(outlier_prob / (math.pi * OUTLIER_RADIUS_M**2))
    log_ev = np.logaddexp(honest, anywhere)
    gain = np.exp(honest - log_ev) * bias[BIAS_VAR] / spread  # inlier share x Kalman gain
    post = np.empty((3, points_xy.shape[0]))
    post[BIAS_X] = bias[BIAS_X] + gain * vx
    post[BIAS_Y] = bias[BIAS_Y] + gain * vy
    post[BIAS_VAR] = bias[BIAS_VAR] * (1.0 - gain)
    return log_ev, post, surprise


@dataclass(frozen=True, slots=True)
class GnssPart:
    """A fix's log-evidence at each point and its squared misfit there (in units of its
    expected size): what the positioner weighs by, and judges a jump by."""

    log_ev: np.ndarray
    misfit: np.ndarray


@dataclass(frozen=True, slots=True)
class LocalFix:
    """A scan's GNSS fix in the map's metres, with the per-axis sigma to weigh it by, and the
    phone's ground speed and course when it reported them (None: not reported, or unusable)."""

    x: float
    y: float
    sigma_m: float
    t_s: float
    speed_mps: float | None = None
    course_deg: float | None = None


def _usable_motion(fix: GnssFix, min_course_speed_mps: float
                   ) -> tuple[float | None, float | None]:
    """The fix's speed and course if finite and plausible; a course only when the phone moves
    fast enough for it to mean anything."""
    speed = fix.speed_mps
    if speed is None or not math.isfinite(speed) or not 0.0 <= speed <= 10.0:
        return None, None
    course = fix.heading_deg
    if course is None or not math.isfinite(course) or speed < min_course_speed_mps:
        return speed, None
    return speed, course % 360.0


def motion_log_evidence(fix: LocalFix, speed_mps: np.ndarray, heading_xy: np.ndarray,
                        speed_sigma_mps: float, course_sigma_deg: float,
                        course_outlier_prob: float) -> np.ndarray | None:
    """Log-evidence of the phone's ground speed and course for particles walking at
    ``speed_mps`` in the direction ``heading_xy`` (unit east, north rows); None without either.

    Why: between sparse beacons a fix's *position* is metres off for tens of seconds, but its
    Doppler speed and course are good to a few tenths of a m/s and tens of degrees. They keep the
    cloud walking at the walker's pace (it stalled behind the walker where a lone beacon's
    reading was ambiguous) and tell, right after a junction, which branch the walker took. Speed
    is Student-t (4 dof: a reflection can spoil it); a course is von Mises mixed with "any
    direction" (a stop, a turn inside the second, a bad satellite).
    """
    if fix.speed_mps is None:
        return None
    z = (speed_mps - fix.speed_mps) / speed_sigma_mps
    log_ev = -2.5 * np.log1p(z * z / 4.0)
    if fix.course_deg is not None:
        rad = math.radians(fix.course_deg)
        cos = heading_xy[:, 0] * math.sin(rad) + heading_xy[:, 1] * math.cos(rad)
        kappa = 1.0 / math.radians(course_sigma_deg) ** 2
        # von Mises density, normalised by its peak's order (kappa large): exp(kappa (cos - 1))
        peak = math.sqrt(kappa / (2.0 * math.pi))
        log_ev = log_ev + np.logaddexp(
            math.log1p(-course_outlier_prob) + math.log(peak) + kappa * (cos - 1.0),
            math.log(course_outlier_prob / (2.0 * math.pi)))
    return log_ev


class GnssTrack:
    """What a walker's positioner remembers of the phone's fixes: the last one used (phones
    repeat it, and the same fix is no new evidence) and how much worse than they claim the
    fixes have fallen from where the cloud knew the walker to be (covariance matching)."""

    __slots__ = ("last_t_s", "scale2", "far_since")

    def __init__(self) -> None:
        self.last_t_s: float | None = None
        self.scale2 = 1.0  # squared
        #: since when most of the cloud has been far from the fixes, learnt biases or not
        self.far_since: float | None = None

    def local(self, fix: GnssFix, xy: tuple[float, float], floor_m: float, inflation: float,
              min_course_speed_mps: float) -> LocalFix | None:
        """A usable fix at local ``xy`` as evidence; None if it is the fix already used."""
        if self.last_t_s is not None and fix.t_s <= self.last_t_s:
            return None
        sigma = gnss_sigma_m(fix, floor_m, inflation) * math.sqrt(self.scale2)
        return LocalFix(float(xy[0]), float(xy[1]), sigma, fix.t_s,
                        *_usable_motion(fix, min_course_speed_mps))

    def since_last(self, t_s: float) -> float:
        return math.inf if self.last_t_s is None else t_s - self.last_t_s

    def rescale(self, misfit: float, rate: float) -> None:
        """Move the scale toward this fix's mean misfit (in units of the scaled variance)."""
        seen = misfit * self.scale2
        self.scale2 = max(1.0, self.scale2 + rate * (seen - self.scale2))

    def bias_outlived(self, far_share: float, t_s: float, jump_s: float) -> bool:
        """Whether the biases the particles learnt should be forgotten: the fixes have fallen
        far from most of the cloud (``far_share`` of its weight, measured without any bias) for
        longer than a multipath jump lasts.

        Why: a particle's bias belief takes up whatever distance lies between it and the fixes
        (that is how the bias learnt near beacons is carried between them), so a cloud that
        drifts away from the walker drags its bias along and the fixes stop arguing: seen in
        the street world, a cloud held 12 m behind the walker by shadowed beacons, with a 2 m
        radius, for a minute, while the phone's fixes were 5-8 m from the truth. A bias of more
        than three sigma that lasts is likelier a cloud gone wrong than satellites that wrong.
        Forgotten, the next fixes weigh the particles again as fresh ones would; so is how
        much worse than claimed the fixes seemed, measured from that cloud.
        """
        if far_share < 0.5:
            self.far_since = None
            return False
        if self.far_since is None:
            self.far_since = t_s
        if t_s - self.far_since < jump_s:
            return False
        self.far_since = t_s
        self.scale2 = 1.0  # the misfits it learnt were measured from the same cloud
        return True

    def refit(self, fix: LocalFix, points_xy: np.ndarray, bias: np.ndarray, weight: np.ndarray,
              contradiction: float, jump_s: float, bias_share: float) -> LocalFix | None:
        """:meth:`bias_outlived` for a cloud at ``points_xy`` with bias beliefs ``bias`` and
        ``weight``, "far" meaning a squared misfit over ``contradiction`` by the sigma the phone
        claims (not the one the misfits rescaled), measured either from the fix itself or from
        the bias a point has learnt against the bias's own stationary spread (the learnt bias
        is the fixes' misfit with their white noise averaged out: a fix that happens to fall
        near the cloud does not restart the clock). Returns the fix as the phone claims it when
        the biases are to be forgotten, else None."""
        claimed2 = fix.sigma_m**2 / self.scale2
        d2 = (points_xy[:, 0] - fix.x) ** 2 + (points_xy[:, 1] - fix.y) ** 2
        b2 = bias[BIAS_X] ** 2 + bias[BIAS_Y] ** 2
        limit2 = 2.0 * contradiction * claimed2
        far = float(weight @ ((d2 > limit2) | (b2 > bias_share * limit2)))
        if not self.bias_outlived(far, fix.t_s, jump_s):
            return None
        return replace(fix, sigma_m=math.sqrt(claimed2))
