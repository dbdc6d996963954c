"""from_mindspore on lr lists/Tensors of standard shapes: closed form (no table, no horizon), equal to the
list MindSpore's own dynamic_lr functions build (float64 lists at rel 1e-12, float32 Tensors to their rounding)."""

from __future__ import annotations

import numpy as np

from lrbridge import evaluate
from lrbridge_mindspore import from_mindspore


def test_dynamic_lr_lists_come_back_closed_form(ms):
    from mindspore.nn import dynamic_lr

    warm = dynamic_lr.warmup_lr(0.1, 60, 1, 60)
    cos = dynamic_lr.cosine_decay_lr(1e-4, 0.1, 540, 1, 540)
    step = dynamic_lr.exponential_decay_lr(0.1, 0.5, 600, 20, 5, is_stair=True)
    for values in (warm[:60] + cos, cos, step):
        result = from_mindspore(values)
        assert result.exact, result.notes
        kinds = {n.kind for n in result.plan.scheduler.walk()}
        assert "tabulated" not in kinds
        back = evaluate(result.plan, len(values))[0]
        assert np.max(np.abs(back - values) / np.abs(values).clip(1e-300)) <= 1e-12


def test_float32_tensors_match_their_rounding(ms):
    from mindspore import Tensor
    from mindspore.nn import dynamic_lr

    values = np.array(dynamic_lr.cosine_decay_lr(1e-5, 0.05, 2000, 1, 2000), np.float32)
    result = from_mindspore(Tensor(values))
    assert result.exact, result.notes
    back = evaluate(result.plan, len(values), dtype=np.float32)[0]
    assert np.max(np.abs(back.astype(np.float64) - values) / values) <= 2.0**-23
