"""The radio world's parameters fitted to the two real RSSI data sets (``--only radio``).

These are measurements, not goals: they size the harsh world (:mod:`beacons.worlds`) and are
stated with their caveats in the README ("Radio world").
"""

from __future__ import annotations

from beacons.radiofit import fit_kolakowski, fit_uci, read_uci
from benchmarks.bench_positioning import KOLA, UCI
from benchmarks.common import BenchResult


def run(quick: bool) -> list[BenchResult]:
    flat = fit_kolakowski(KOLA)
    uci = fit_uci(*read_uci(UCI))
    return [
        BenchResult("radio fit flat: path-loss exponent", flat.exponent, "-"),
        BenchResult("radio fit flat: spread around the law", flat.residual_sigma_db, "dB"),
        BenchResult(f"radio fit flat: shadowing sigma (+-{flat.shadowing_sigma_se_db:.1f} se)",
                    flat.shadowing_sigma_db, "dB"),
        BenchResult(f"radio fit flat: shadowing corr. dist. (+-{flat.shadowing_corr_se_m:.1f} se)",
                    flat.shadowing_corr_m, "m"),
        BenchResult(f"radio fit flat: fast spread per row (+-{flat.fast_sigma_se_db:.1f} se)",
                    flat.fast_sigma_db, "dB"),
        BenchResult("radio fit flat: 1 m power spread between devices", flat.power_spread_db,
                    "dB"),
        BenchResult("radio fit flat: readings missing", 100.0 * flat.missing_share, "%"),
        BenchResult("radio fit uci: spread within a cell", uci.within_cell_sigma_db, "dB"),
        BenchResult("radio fit uci: loud beacon (>= -70) missing", 100.0 * uci.loss_loud, "%"),
        BenchResult("radio fit uci: faint beacon (< -75) missing", 100.0 * uci.loss_faint, "%"),
        BenchResult("radio fit uci: lowest level heard", uci.lowest_heard_dbm, "dBm"),
        BenchResult("radio fit uci: exponent, cell units (NOT trusted)", uci.exponent, "-"),
    ]
