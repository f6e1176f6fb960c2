"""The simulated worlds positioning is measured in, and where each of their numbers comes from.

The ideal world is :class:`~beacons.simulator.SimulatedSource` with its defaults: the positioner's
own law (exponent 2, i.i.d. 4 dB noise, 10 % dropouts). The harsh world draws, per walk, a phone
and a street the positioner knows nothing about; its effects are sized from real data where the
data can say (:mod:`beacons.radiofit`, README "Radio world") and stated as assumptions where it
cannot.
"""

from __future__ import annotations

import numpy as np

from beacons.channel import ChannelParams
from beacons.gnss_simulator import GnssParams
from beacons.model import AccuracyKind

#: Fitted on the Kolakowski flat by :func:`beacons.radiofit.fit_kolakowski` (indoors; a test keeps
#: these in step with the fit): shadowing, its correlation distance, the sample-to-sample spread
#: and the spread of 1 m powers between devices.
FLAT_SHADOWING_SIGMA_DB = 6.7
FLAT_SHADOWING_CORR_M = 3.0
FLAT_FAST_SIGMA_DB = 4.0
FLAT_POWER_SPREAD_DB = 2.0

#: The issue's ranges: exponents the positioner does not assume, phones that read high or low.
EXPONENT_RANGE = (1.8, 3.5)
PHONE_OFFSET_RANGE_DB = (-8.0, 8.0)
#: The UCI iPhone 6S reported nothing below -88 dBm; newer phones hear to about -100.
SENSITIVITY_RANGE_DBM = (-100.0, -90.0)
#: From the flat's 3 m indoors to a street's longer stretches (an assumption past the flat).
SHADOWING_CORR_RANGE_M = (FLAT_SHADOWING_CORR_M, 10.0)
#: Assumptions (neither data set can give them): a body straight behind costs 10 dB; a beacon
#: advertises about three times per one-second scan; each advertisement is lost with 30 %, so a
#: loud beacon misses 2.7 % of scans (UCI: 3.2 % of one-second rows); 3 % of beacons are dead.
BODY_LOSS_DB = 10.0
ADVERTS_PER_SCAN = 3
PACKET_LOSS = 0.3
DEAD_SHARE = 0.03
#: Beacons farther away are not simulated. A phone with a low exponent would hear some of them
#: (at -82 dBm and up at 50 m); they are left out for cost: today's positioner's RSSI filter is
#: cubic in the beacons heard (measured: 33 beacons 6 ms/scan, 82 beacons 27 ms/scan).
RANGE_M = 50.0
_HARSH_STREAM, _GNSS_STREAM = 101, 102


def harsh_channel(seed: int) -> ChannelParams:
    """One walk's phone and street: every effect on, exponent, offset, floor and shadowing
    distance drawn from their ranges by ``seed``."""
    rng = np.random.default_rng([seed, _HARSH_STREAM])
    return ChannelParams(
        exponent=float(rng.uniform(*EXPONENT_RANGE)),
        shadowing_sigma_db=FLAT_SHADOWING_SIGMA_DB,
        shadowing_corr_m=float(rng.uniform(*SHADOWING_CORR_RANGE_M)),
        body_loss_db=BODY_LOSS_DB,
        fading_sigma_db=FLAT_FAST_SIGMA_DB,
        adverts_per_scan=ADVERTS_PER_SCAN,
        phone_offset_db=float(rng.uniform(*PHONE_OFFSET_RANGE_DB)),
        power_spread_db=FLAT_POWER_SPREAD_DB,
        packet_loss=PACKET_LOSS,
        dead=DEAD_SHARE,
        sensitivity_dbm=float(rng.uniform(*SENSITIVITY_RANGE_DBM)),
        max_range_m=RANGE_M,
    )


def street_gnss(seed: int) -> GnssParams:
    """One walk's phone GNSS: :class:`GnssParams` defaults (assumed, not fitted: no data set here
    has GNSS), reported in one of the three accuracy kinds chosen by ``seed``."""
    kinds = tuple(AccuracyKind)
    rng = np.random.default_rng([seed, _GNSS_STREAM])
    return GnssParams(accuracy_kind=kinds[int(rng.integers(len(kinds)))])
