"""The lr table as an artifact: ``{"total_step": N, "groups": [{"name", "lr": [...]}]}`` JSON or an .npy.

The one lr-only shape every backend's ``convert --format json|npy`` writes: row g is the
float64 reference lr of group g at optimizer steps 0..N-1 (frameworks apply it rounded to
float32). Scheduled hyperparameters are not in it: ``notes`` says which ones it leaves out.
"""

from __future__ import annotations

import io
import json


def untracked_hparams(plan) -> list[str]:
    """Notes naming the scheduled hyperparameters an lr-only table does not carry."""
    return [
        f"group '{g.name}': scheduled {name} is not in the lr table (build the optimizer with the backend to apply it)"
        for g in plan.groups for name in sorted(g.hparam_schedulers)
    ]


def render_json(plan, steps: int, table=None, notes: list[str] | None = None, **extra) -> str:
    """The JSON table; ``notes`` (default: the scheduled hyperparameters it leaves out); ``extra``: more keys."""
    from .reference import evaluate

    table = evaluate(plan, steps) if table is None else table
    groups = [
        {"name": g.name, "lr": row.tolist(), "weight_decay": float(plan.group_weight_decay(g))}
        for g, row in zip(plan.groups, table)
    ]
    doc = {"total_step": steps, "groups": groups, **extra}
    notes = untracked_hparams(plan) if notes is None else notes
    if notes:
        doc["notes"] = notes
    return json.dumps(doc) + "\n"


def render_npy(plan, steps: int, table=None) -> bytes:
    """float64 array (groups, total_step), rows in plan order."""
    import numpy as np

    from .reference import evaluate

    buf = io.BytesIO()
    np.save(buf, evaluate(plan, steps) if table is None else table)
    return buf.getvalue()
