"""How far recognition searches, and the float64 unit it rounds against."""

from __future__ import annotations

EPS = 2.0**-52
#: most stages a recognised ``sequential`` may have (more is a table, not a closed form)
MAX_STAGES = 8
#: most constant runs a recognised ``piecewise`` may have
MAX_RUNS = 64
_SAMPLE = 257  # points a candidate is first checked on before the full check
_MAX_STARTS = 16  # stage starts the sequence search may try per curve and clock
