"""Generated OneFlow code and the worker ops that serve export results to the main environment.

``generate_code`` / ``render`` turn an ``Export`` into runnable source or JSON
(framework-free); ``op_check`` / ``op_export`` are the ``check`` and ``export``
worker ops, and ``run_generated`` executes generated code (OneFlow interpreter
only, imported on use). Kept apart from ``export.py``, which only decides.
"""

from __future__ import annotations

import json

from lrbridge import lrtable

from .export import PLAN_LR, export
from .optim import optimizer_kwargs, optimizer_problems


def op_check(request):
    """Worker op ``check``: ``{"plan": ..., "mode": ...}`` -> the CheckResult as JSON."""
    from lrbridge.io import plan_from_dict

    from .capability import check

    res = check(plan_from_dict(request["plan"]), request.get("mode"))
    return {"ok": res.ok, "reasons": res.reasons, "alternative": res.alternative, "notes": res.notes}


def op_export(request):
    """Worker op ``export``: ``{"plan": ..., "mode": ...}`` -> the Export as JSON plus generated ``code``.

    ``live: true`` adds, for graph, the conf the live scheduler writes; for eager, the class
    ``to_oneflow`` builds (``live_class``) and its notes; ``verify_steps: N`` with
    ``param_names`` runs the generated eager code and returns its group lrs.
    """
    from lrbridge.io import plan_from_dict

    plan = plan_from_dict(request["plan"])
    mode = request.get("mode", "eager")
    ex = export(plan, mode)
    out = {**ex.to_json(), "code": generate_code(plan, mode) if ex.ok and not optimizer_problems(plan) else None}
    if request.get("live") and ex.ok and mode == "graph":
        # what the live scheduler really writes into nn.Graph's conf (needs OneFlow: worker only)
        from .live import flow, graph_conf_of, graph_conf_proto_json, to_oneflow

        opt = flow.optim.SGD([{"params": [flow.nn.Parameter(flow.zeros(1))], "lr": 0.0} for _ in plan.groups])
        out["live_graph_conf"] = graph_conf_of(to_oneflow(plan, opt, graph=True))
        out["graph_conf_proto"] = graph_conf_proto_json(ex.graph_conf)
    if request.get("live") and ex.ok and mode == "eager":
        # which class to_oneflow really builds: export's choice, kept only where verified by stepping it
        from .live import flow, to_oneflow

        opt = flow.optim.SGD([{"params": [flow.nn.Parameter(flow.zeros(1))], "lr": 0.0} for _ in plan.groups])
        sched = to_oneflow(plan, opt)
        out["live_class"], out["live_notes"] = type(sched).__name__, sched.lrbridge_notes
    if request.get("verify_steps") and out["code"] and mode == "eager":
        out["verified_lr"] = run_generated(out["code"], request["param_names"], int(request["verify_steps"]))
    return out


def run_generated(code: str, param_names: list[str], steps: int) -> list[list[float]]:
    """Execute generated eager code on a model with the given parameter names; the group lrs of steps 0..N−1.

    OneFlow interpreter only. Reads ``param_groups[g]["lr"]`` before each optimizer step
    (no parameter reads), stepping the scheduler after it as the generated code expects.
    """
    from .live import flow

    class Model(flow.nn.Module):
        def __init__(self):
            super().__init__()
            for name in param_names:  # dotted names: nested modules, as in a real model
                *path, leaf = name.split(".")
                mod = self
                for part in path:
                    if not hasattr(mod, part):
                        mod.add_module(part, flow.nn.Module())
                    mod = getattr(mod, part)
                setattr(mod, leaf, flow.nn.Parameter(flow.zeros(1)))

    scope: dict = {}
    exec(compile(code, "<lrbridge generated>", "exec"), scope)
    optimizer, scheduler = scope["build"](Model())
    rows = [[] for _ in optimizer.param_groups]
    for _ in range(steps):
        for row, group in zip(rows, optimizer.param_groups):
            row.append(float(group["lr"]))
        optimizer.step()
        scheduler.step()
    return rows


def _literal(spec: dict, opt: str = "optimizer") -> str:
    """Python source constructing a native spec."""
    cls = spec["class"]
    kwargs = ", ".join(f"{k}={v!r}" for k, v in spec.get("kwargs", {}).items())
    sep = ", " if kwargs else ""
    if cls in ("SequentialLR",):
        subs = ", ".join(_literal(s, opt) for s in spec["schedulers"])
        return f"flow.optim.lr_scheduler.SequentialLR({opt}, [{subs}]{sep}{kwargs})"
    if cls == "ChainedScheduler":
        return f"flow.optim.lr_scheduler.ChainedScheduler([{', '.join(_literal(s, opt) for s in spec['schedulers'])}])"
    if cls == "WarmupLR":
        inner = _literal(spec["scheduler"], opt) if spec.get("scheduler") else opt
        return f"flow.optim.lr_scheduler.WarmupLR({inner}{sep}{kwargs})"
    return f"flow.optim.lr_scheduler.{cls}({opt}{sep}{kwargs})"


def generate_code(plan, mode: str = "eager") -> str:
    """Runnable OneFlow source building the optimizer (param groups by the plan's selectors) and scheduler.

    Raises UnrepresentableError when the mode cannot express the plan (the same message as check).
    """
    from lrbridge.capability import CheckResult
    from lrbridge.io import plan_to_dict

    ex = export(plan, mode)
    problems = optimizer_problems(plan)
    if ex.reasons or problems:
        CheckResult("oneflow", mode, False, ex.reasons + problems, ex.alternative).raise_if_not_ok()
    cls, kw = optimizer_kwargs(plan)
    groups = []
    for g, eg in zip(plan.groups, ex.groups):
        opts = {"lr": eg["lr"], "weight_decay": plan.group_weight_decay(g), **g.hparams}
        if mode == "graph":
            opts["lr_scale"] = eg["lr_scale"]
        groups.append((g.name, opts))
    lines = [
        f"# OneFlow {mode} code generated by lrbridge from the plan below; lr per group = "
        + ("initial lr x schedule x lr_scale (nn.Graph)" if mode == "graph" else "lr_scale folded into lr (eager ignores lr_scale)"),
        "import json",
        "import oneflow as flow",
        "from lrbridge.groups import assign_params",
        "from lrbridge.io import plan_from_dict",
        "",
        f"PLAN = plan_from_dict(json.loads({json.dumps(json.dumps(plan_to_dict(plan)))}))",
        f"GROUP_OPTIONS = {dict(groups)!r}",
        "",
        "",
        "def build(model):",
        '    """Optimizer and lr scheduler for ``model`` (its parameters grouped by the plan\'s selectors)."""',
        "    params = dict(model.named_parameters())",
        "    owned = assign_params(PLAN.groups, params)",
        "    groups = [{'params': [params[n] for n in owned[name]], **GROUP_OPTIONS[name]} for name in GROUP_OPTIONS]",
        f"    optimizer = flow.optim.{cls}(groups, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")",
    ]
    if ex.scheduler["class"] == PLAN_LR:
        lines += [
            "    from lrbridge_oneflow import to_oneflow  # closed form: " + "; ".join(ex.notes),
            f"    scheduler = to_oneflow(PLAN, optimizer, graph={mode == 'graph'})",
        ]
    else:
        lines.append(f"    scheduler = {_literal(ex.scheduler)}")
    lines.append("    return optimizer, scheduler")
    if mode == "graph":
        lines += [
            "",
            "",
            "# in your nn.Graph: self.add_optimizer(optimizer, lr_sch=scheduler)",
        ]
    return "\n".join(lines) + "\n"


def render(plan, steps: int, fmt: str):
    """``lrbridge convert --to oneflow``: python = runnable eager code (graph variant noted in it);
    json = the lr table in every target's shape (``lrbridge.lrtable``) plus both modes' exports (scheduler
    specs, group lrs, graph conf or reasons);
    npy = the lr table (groups, steps), float64 reference (eager applies it rounded to float32 exactly)."""
    from lrbridge.reference import evaluate

    if fmt == "python":
        return generate_code(plan, "eager")
    table = evaluate(plan, steps)
    if fmt == "npy":
        return lrtable.render_npy(plan, steps, table)
    # the one lr-table shape every target writes ({"total_step", "groups": [{"name", "lr", ...}]}),
    # plus what OneFlow builds for each mode
    return lrtable.render_json(
        plan, steps, table,
        eager=export(plan, "eager").to_json(), graph=export(plan, "graph").to_json(),
        optimizer=dict(zip(("class", "kwargs"), optimizer_kwargs(plan))), optimizer_problems=optimizer_problems(plan),
    )
