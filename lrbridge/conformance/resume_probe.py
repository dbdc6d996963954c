"""Framework-free half of the resume conformance probe: applied lr and momentum from parameter reads.

The probe (the conformance probe of ``engine``, widened to momentum): per group one float32
vector of C >= N zeros; optimizer step j gets the one-hot gradient e_j, so slot j is untouched
before step j and moves by exactly −fp32(lr_j) at step j (its momentum buffer was 0, so
``buf = m·0 + 1``). With momentum, slot j − 1 (buffer 1 after its own step) moves at step j
by −lr_j·m_j, so ``m_j = Δ_j[j−1] / Δ_j[j]``: observable when step j − 1 ran in the same
optimizer (a resumed framework starts with empty buffers: m at the first resumed step is NaN).
Without scheduled momentum one read after the segment gives every lr; with it the probes are
read and zeroed after every step (zeroing keeps Δ_j[j−1] one float32 product, however much
larger lr_{j−1} was; the momentum buffers are untouched).
"""

from __future__ import annotations

import numpy as np


def lr_from_final(values, start: int, stop: int) -> np.ndarray:
    """Applied lr of steps start..stop−1 from one read of the probes (G, C) after them (momentum 0)."""
    return -np.asarray(values, np.float64)[:, start:stop]


def lr_and_momentum_from_reads(reads, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Applied lr and momentum of steps start..stop−1 from the probes (G, C) read after each of those
    steps and zeroed after each read (so a read is that step's update).

    Momentum is NaN where step j − 1 was not run by the same optimizer (j = start).
    """
    reads = [np.asarray(r, np.float64) for r in reads]
    g = reads[0].shape[0]
    lr = np.empty((g, stop - start))
    mom = np.full((g, stop - start), np.nan)
    for i, delta in enumerate(reads):
        j = start + i
        lr[:, i] = -delta[:, j]
        if j > start:
            mom[:, i] = delta[:, j - 1] / delta[:, j]
    return lr, mom


def json_state(state) -> dict:
    """A scheduler state as a JSON file holds it: keys with JSON values only (what ``json.dump`` keeps)."""
    import json

    out = {}
    for key, value in dict(state).items():
        try:
            out[str(key)] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            continue  # live objects (a plan, a nested scheduler): not part of a JSON checkpoint
    return out
