"""Random plans for property tests and benchmarks (framework-free, numpy ``Generator`` based).

``random_cases(n, seed)`` yields ``(plan, steps)`` pairs: a valid plan and the number of
optimizer steps to measure it for. The same seed gives the same plans on every machine
(only ``numpy.random.Generator`` draws are used, in a fixed order).

What is drawn:

* horizon H: log-uniform integer in [1, ``max_steps``] (short runs are as interesting as long
  ones: most boundary effects sit in the first steps); ``past`` one of continue / hold / error,
  or no horizon at all (then ``steps`` is drawn instead and the plan is measured for that many
  steps, as ``lrbridge conform --steps N`` does);
* steps: H, or up to H + H/4 for continue / hold (the policy past the horizon is measured too);
* 1–4 groups (a catch-all among them sometimes), each with or without its own lr, ``lr_scale``
  and own schedule;
* schedules: every evaluable kind (``LEAF_KINDS``), composites (``COMPOSITE_KINDS``) nested up to
  ``max_depth`` levels, parameters scaled to H so that their boundaries fall inside the run.
* with ``extras=True``, groups also draw a float32 lr (``lr_dtype``), a scheduled momentum (cyclic,
  as torch's CyclicLR / OneCycleLR cycle it) or a scheduled weight decay (cosine, as mmengine
  schedules it); off by default so that a seed keeps giving the plans it gave.

A drawn schedule the IR rejects (an invalid combination of parameters), or a plan whose reference
cannot be evaluated over its steps (a negative lr), is drawn again: the generator never hands out
an invalid plan, and it does not need to know every validation rule.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import PlanError

#: leaf kinds drawn (every evaluable kind of the IR; ``reduce_on_plateau`` needs a metric)
LEAF_KINDS = (
    "constant", "constant_factor", "linear", "step", "multistep", "piecewise", "exponential",
    "natural_exp", "inverse_time", "cosine", "cosine_decay", "cosine_restarts", "polynomial",
    "one_cycle", "cyclic", "inverse_sqrt", "noam", "tabulated", "cycle_anneal", "floor_step",
    "linear_growth", "log_warmup", "shaped", "triangular",
)
COMPOSITE_KINDS = ("sequential", "chained", "warmup", "by_epoch")
POLICIES = ("continue", "hold", "error")


def _log_int(rng, lo: int, hi: int) -> int:
    """Integer log-uniform in [lo, hi]."""
    lo, hi = max(1, int(lo)), max(1, int(hi))
    if hi <= lo:
        return lo
    return int(min(hi, math.floor(math.exp(rng.uniform(math.log(lo), math.log(hi + 1))))))


def _log_float(rng, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _sorted_unique(rng, n: int, lo: int, hi: int) -> list[int]:
    """Up to n distinct sorted integers in [lo, hi]."""
    if hi < lo:
        return []
    n = min(n, hi - lo + 1)
    return sorted(int(x) for x in rng.choice(np.arange(lo, hi + 1), size=n, replace=False))


def _gamma(rng) -> float:
    return float(rng.choice([0.1, 0.5, 0.9, 0.98, _log_float(rng, 0.01, 1.0)]))


def _leaf(rng, kind: str, H: int) -> dict:
    """Parameters for one leaf of ``kind`` over a run of about H steps."""
    span = lambda: _log_int(rng, 1, max(1, H))  # noqa: E731 - a boundary somewhere in the run
    if kind == "constant":
        return {"kind": kind}
    if kind == "constant_factor":
        return {"kind": kind, "factor": float(rng.uniform(0.0, 1.0)), "total_iters": span()}
    if kind == "linear":
        return {"kind": kind, "start_factor": float(rng.uniform(0.0, 1.0)), "end_factor": float(rng.uniform(0.0, 1.0)),
                "total_iters": int(rng.integers(0, H + 1))}
    if kind == "step":
        return {"kind": kind, "step_size": span(), "gamma": _gamma(rng)}
    if kind == "multistep":
        return {"kind": kind, "milestones": _sorted_unique(rng, int(rng.integers(1, 5)), 0, H), "gamma": _gamma(rng)}
    if kind == "piecewise":
        bounds = _sorted_unique(rng, int(rng.integers(1, 4)), 1, max(1, H))
        relative = bool(rng.integers(2))
        values = [float(rng.uniform(0.0, 1.0) if relative else _log_float(rng, 1e-5, 1.0)) for _ in range(len(bounds) + 1)]
        return {"kind": kind, "boundaries": bounds, "values": values, "relative": relative}
    if kind == "exponential":
        return {"kind": kind, "gamma": float(rng.uniform(0.9, 1.0)) if rng.integers(2) else _gamma(rng),
                "decay_steps": span(), "staircase": bool(rng.integers(2))}
    if kind in ("natural_exp", "inverse_time"):
        return {"kind": kind, "decay_rate": _log_float(rng, 1e-3, 2.0), "decay_steps": span(), "staircase": bool(rng.integers(2))}
    if kind == "cosine":
        return {"kind": kind, "T_max": span(), "eta_min": float(rng.choice([0.0, _log_float(rng, 1e-6, 1e-2)]))}
    if kind == "cosine_decay":
        return {"kind": kind, "decay_steps": span(), "min_lr": float(rng.choice([0.0, _log_float(rng, 1e-6, 1e-3)])),
                "alpha": float(rng.choice([0.0, rng.uniform(0.0, 0.5)]))}
    if kind == "cosine_restarts":
        return {"kind": kind, "T_0": _log_int(rng, 1, max(1, H // 2)), "T_mult": int(rng.choice([1, 2, 3])),
                "eta_min": float(rng.choice([0.0, _log_float(rng, 1e-6, 1e-3)]))}
    if kind == "polynomial":
        return {"kind": kind, "total_iters": span(), "power": float(rng.choice([1.0, 2.0, 0.5, rng.uniform(0.1, 3.0)])),
                "end_lr": float(rng.choice([0.0, _log_float(rng, 1e-6, 1e-3)])), "cycle": bool(rng.integers(2))}
    if kind == "one_cycle":
        return {"kind": kind, "total_steps": max(2, span()), "max_lr": _log_float(rng, 1e-4, 1.0),
                "pct_start": float(rng.uniform(0.05, 0.9)), "anneal_strategy": str(rng.choice(["cos", "linear"])),
                "three_phase": bool(rng.integers(2))}
    if kind == "cyclic":
        base = _log_float(rng, 1e-5, 1e-2)
        return {"kind": kind, "base_lr": base, "max_lr": base * float(rng.uniform(1.0, 100.0)), "step_size_up": span(),
                "step_size_down": span(), "mode": str(rng.choice(["triangular", "triangular2", "exp_range"])),
                "gamma": float(rng.uniform(0.99, 1.0))}
    if kind == "inverse_sqrt":
        return {"kind": kind, "warmup_steps": int(rng.integers(0, H + 1))}
    if kind == "noam":
        return {"kind": kind, "d_model": float(rng.choice([64, 512, 1024])), "warmup_steps": span()}
    if kind == "tabulated":
        n = _log_int(rng, 1, max(1, H))
        relative = bool(rng.integers(2))
        values = rng.uniform(0.0, 1.0, n) if relative else np.exp(rng.uniform(math.log(1e-5), 0.0, n))
        return {"kind": kind, "values": [float(v) for v in values], "relative": relative}
    if kind == "cycle_anneal":
        return {"kind": kind, "t_initial": span(), "shape": str(rng.choice(["cosine", "tanh", "poly"])),
                "lr_min": float(rng.choice([0.0, _log_float(rng, 1e-6, 1e-3)])), "cycle_mul": float(rng.choice([1.0, 2.0, 1.5])),
                "cycle_decay": float(rng.choice([1.0, 0.5])), "cycle_limit": int(rng.integers(1, 4))}
    if kind == "floor_step":
        return {"kind": kind, "step_size": float(rng.uniform(0.5, max(1.0, H / 2))), "gamma": _gamma(rng)}
    if kind == "linear_growth":
        return {"kind": kind, "rate": _log_float(rng, 1e-3, 1.0), "step_size": span(), "staircase": bool(rng.integers(2))}
    if kind == "log_warmup":
        return {"kind": kind, "warmup_steps": max(2, span()), "start_factor": float(rng.uniform(0.0, 1.0))}
    if kind == "shaped":
        return {"kind": kind, "shape": str(rng.choice(["linear", "linear_down", "remaining", "cosine", "cosine_up",
                                                        "cosine_hard", "sqrt_up", "sqrt_down"])),
                "span": span(), "cycles": float(rng.choice([0.5, 1.0, 2.0])), "floor": float(rng.choice([0.0, 0.1]))}
    if kind == "triangular":
        return {"kind": kind, "max_lr": _log_float(rng, 1e-4, 1.0), "step_size": float(rng.choice([span(), rng.uniform(0.5, H)])),
                "shrink": float(rng.choice([0.1, 0.5, 1.0])), "shrink_min": bool(rng.integers(2))}
    raise ValueError(f"no sampler for schedule kind {kind!r}")


def _composite(rng, kind: str, H: int, depth: int) -> dict:
    if kind == "sequential":
        n = int(rng.integers(2, 4))
        milestones = _sorted_unique(rng, n - 1, 1, max(1, H - 1))
        stages = [random_schedule(rng, H, depth - 1) for _ in range(len(milestones) + 1)]
        return {"kind": kind, "stages": stages, "milestones": milestones, "clock": str(rng.choice(["restart", "global"]))}
    if kind == "chained":
        return {"kind": kind, "schedules": [random_schedule(rng, H, depth - 1) for _ in range(int(rng.integers(1, 4)))]}
    if kind == "warmup":
        return {"kind": kind, "schedule": random_schedule(rng, H, depth - 1), "warmup_steps": _log_int(rng, 1, max(1, H // 2)),
                "warmup_factor": float(rng.uniform(0.0, 1.0)), "method": str(rng.choice(["linear", "constant"])),
                "prefix": bool(rng.integers(2))}
    if kind == "by_epoch":
        spe = _log_int(rng, 1, max(1, H // 2))
        return {"kind": kind, "schedule": random_schedule(rng, max(1, H // spe), depth - 1), "steps_per_epoch": spe,
                "cadence": str(rng.choice(["epoch", "step"]))}
    raise ValueError(f"no sampler for composite kind {kind!r}")


def random_schedule(rng, H: int, depth: int = 2, *, kinds=LEAF_KINDS, p_composite: float = 0.35, attempts: int = 20) -> dict:
    """A valid schedule document over a run of about H steps, nested up to ``depth`` composites."""
    from .io import schedule_from_dict

    for _ in range(attempts):
        if depth > 0 and rng.uniform() < p_composite:
            doc = _composite(rng, str(rng.choice(COMPOSITE_KINDS)), H, depth)
        else:
            doc = _leaf(rng, str(rng.choice(list(kinds))), H)
        try:
            schedule_from_dict(doc)
        except PlanError:
            continue  # an invalid combination (e.g. a kind's own cross-field rule): draw again
        return doc
    return {"kind": "constant"}


def _groups(rng, n: int, H: int, depth: int, extras: bool = False) -> list[dict]:
    rest = int(rng.integers(n)) if rng.uniform() < 0.5 else None
    groups = []
    for i in range(n):
        g: dict = {"name": f"g{i}"}
        if i == rest:
            g["rest"] = True
        else:
            g["params"] = [f"g{i}.*"]
        if rng.uniform() < 0.5:
            g["lr"] = _log_float(rng, 1e-5, 1.0)
        if rng.uniform() < 0.2:
            g["lr_scale"] = float(rng.choice([0.1, 0.5, 2.0, rng.uniform(0.0, 3.0)]))
        if rng.uniform() < 0.3:
            g["scheduler"] = random_schedule(rng, H, depth)
        if extras:
            g.update(_group_extras(rng, H))
        groups.append(g)
    return groups


def _group_extras(rng, H: int) -> dict:
    """A float32 lr, a scheduled momentum (torch CyclicLR / OneCycleLR cycling) or a scheduled weight decay
    (mmengine ``param_name='weight_decay'``), each now and then."""
    out: dict = {}
    if rng.uniform() < 0.15:
        out["lr_dtype"] = "float32"
    if rng.uniform() < 0.15:
        up = _log_int(rng, 1, max(1, H // 2))
        out["hparams"] = {"momentum": 0.9}
        out["hparam_schedulers"] = {"momentum": {"kind": "cyclic", "base_lr": 0.85, "max_lr": 0.95,
                                                 "step_size_up": up, "step_size_down": _log_int(rng, 1, max(1, H // 2))}}
    elif rng.uniform() < 0.1:
        out["weight_decay"] = float(rng.choice([0.01, 0.05, 0.1]))
        out["hparam_schedulers"] = {"weight_decay": {"kind": "cosine", "T_max": max(1, H), "eta_min": 0.0}}
    return out


def random_plan_dict(rng, *, max_steps: int = 5000, max_groups: int = 4, max_depth: int = 2,
                     extras: bool = False) -> tuple[dict, int]:
    """One random plan document and the steps to measure it for; ``extras``: groups also draw float32 lrs and
    scheduled momentum / weight decay (off by default, so that a seed gives the plans it always gave)."""
    H = _log_int(rng, 1, max_steps)
    policy = str(rng.choice(POLICIES + ("none",), p=[0.35, 0.25, 0.25, 0.15]))
    horizon = {} if policy == "none" else {"steps": H, "past": policy}
    steps = H
    if policy in ("continue", "hold") and rng.uniform() < 0.4:
        steps = min(max_steps, H + int(rng.integers(0, H // 4 + 2)))
    doc = {
        "version": 1,
        "optimizer": {"name": str(rng.choice(["sgd", "sgd", "adam", "adamw"])), "lr": _log_float(rng, 1e-5, 1.0)},
        "groups": _groups(rng, int(rng.integers(1, max_groups + 1)), H, max_depth, extras),
        "scheduler": random_schedule(rng, H, max_depth),
        "horizon": horizon,
    }
    return doc, int(steps)


def random_case(rng, **kw):
    """``(plan, steps)``: a valid random plan and the steps to measure it for."""
    from .errors import EvaluationError
    from .io import plan_from_dict
    from .reference import evaluate

    while True:
        doc, steps = random_plan_dict(rng, **kw)
        try:
            plan = plan_from_dict(doc)
            evaluate(plan, steps)  # e.g. a linear one-cycle continued past its end goes negative
        except (PlanError, EvaluationError):  # a rule the draw broke: draw again
            continue
        return plan, steps


def random_cases(n: int, seed: int = 0, **kw):
    """``n`` random ``(plan, steps)`` pairs, the same ones for the same seed."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield random_case(rng, **kw)
