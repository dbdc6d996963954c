"""The lint rules over live native objects (optimizers, schedulers, lr lists), duck-typed.

Nothing here imports a framework: objects are recognised by their class name,
the module their class comes from, and their attributes. A rule that needs to
know the run (``steps``, ``steps_per_epoch``, ``interval``, ``mode``) gets it from
``lint_objects``' keywords and stays silent when it is not given.
"""

from __future__ import annotations

from .findings import Finding
from .rules import NOT_A_FACTOR, TINY_LR_REL, mindspore_applied_float_lr, nested_sequential_effect


def _cls(o) -> str:
    return type(o).__name__


def _framework(o) -> str | None:
    head = (type(o).__module__ or "").split(".")[0]
    return head if head in ("torch", "oneflow", "mindspore") else None


def _label(o, name: str | None) -> str:
    return name or f"<{type(o).__module__}.{_cls(o)} object>"


def _group_get(group, key, default=None):
    """A param group's setting (torch/OneFlow groups are dicts, or OneFlow ParamGroup with ``_options``)."""
    options = getattr(group, "_options", group)
    try:
        return options.get(key, default)
    except AttributeError:
        return default


def _f(rule, o, name, message, fix) -> Finding:
    return Finding(rule, _label(o, name), 0, message, fix)


# ---------------------------------------------------------------- one function per rule


def oneflow_eager_lr_scale(o, name, ctx):
    if _framework(o) != "oneflow" or not hasattr(o, "param_groups") or ctx.get("mode") == "graph":
        return
    for i, g in enumerate(o.param_groups):
        scale = _group_get(g, "lr_scale", 1.0)
        if scale != 1.0:
            yield _f("LRB001", o, name,
                     f"param_groups[{i}] has lr_scale={scale:g}: run eagerly, OneFlow ignores it and applies "
                     f"lr={_group_get(g, 'lr')!r} from step 0 (only nn.Graph multiplies by lr_scale)",
                     "fold the scale into the group's 'lr' for eager runs, or pass mode='graph' if the optimizer "
                     "is trained through nn.Graph")


def oneflow_sequential_clock(o, name, ctx):
    flags = getattr(o, "interval_rescaling", None)
    if _framework(o) != "oneflow" or not isinstance(flags, (list, tuple)) or any(flags):
        return
    ms = list(getattr(o, "milestones", []))
    yield _f("LRB002", o, name,
             f"{_cls(o)} with interval_rescaling={flags}: from step {ms[0] if ms else 'm'} on the next scheduler runs on "
             f"the global step, where torch's SequentialLR restarts it at 0",
             "build it with interval_rescaling=True if torch's restart was meant")


def mindspore_lr_cells(o):
    """A MindSpore nn optimizer's lr cells (one per group when grouped), else []."""
    lr = getattr(o, "learning_rate", None)
    if _framework(o) != "mindspore" or lr is None or not hasattr(o, "global_step"):
        return []
    return list(lr) if _cls(lr) == "CellList" else [lr]


def _list_length(cell) -> int | None:
    if _cls(cell) != "_IteratorLearningRate":
        return None
    return int(cell.learning_rate.shape[0])


def mindspore_short_list(o, name, ctx):
    steps = ctx.get("steps")
    if not steps:
        return
    if isinstance(o, (list, tuple)) and o and all(isinstance(x, (int, float)) for x in o):
        lengths = [len(o)]
    else:
        lengths = [n for n in map(_list_length, mindspore_lr_cells(o)) if n is not None]
    for n in sorted(set(lengths)):
        if n < steps:
            yield _f("LRB004", o, name,
                     f"the lr list has {n} entries but the run has {steps} steps: MindSpore reads lr[global_step], "
                     f"so step {n} fails ('input_indices should be in the range [0, {n}), but got {n}')",
                     f"generate total_step={steps} entries (lrbridge.to_mindspore_lr_list(plan, total_step={steps}))")


def mindspore_tiny_lr(o, name, ctx):
    cells = mindspore_lr_cells(o)
    if not any(_cls(c) != "_ConvertToCell" for c in cells):
        return  # all groups float: no _ConvertToCell rounding through 1.0 (or no MindSpore optimizer)
    for i, c in enumerate(cells):
        if _cls(c) != "_ConvertToCell":
            continue
        value = float(c.learning_rate.asnumpy().reshape(-1)[0])
        applied = mindspore_applied_float_lr(value)
        if value and abs(applied - value) > TINY_LR_REL * abs(value):
            yield _f("LRB006", o, name,
                     f"lr cell {i} holds the float lr {value!r} beside a dynamic lr: _ConvertToCell computes "
                     f"lr + 1.0 - 1.0 in float32, so every step applies {applied!r} ({(applied - value) / value:+.2%})",
                     "give that group a dynamic lr too (a constant list or a LearningRateSchedule)")


def torch_chained_recursive(o, name, ctx):
    parts = getattr(o, "_schedulers", None)
    if _framework(o) != "torch" or _cls(o) != "ChainedScheduler" or not parts or len(parts) < 2:
        return
    bad = [_cls(p) for p in parts if _cls(p) in NOT_A_FACTOR]
    if bad:
        yield _f("LRB007", o, name,
                 f"ChainedScheduler with {', '.join(bad)}: torch steps each part on the current lr, so the applied lr "
                 f"is not the product of the parts' closed forms (what OneFlow's ChainedScheduler and lrbridge's "
                 f"'chained' compute)",
                 "port the measured curve (lrbridge.from_torch tabulates it) or rewrite the product as one LambdaLR")


def cawr_float_epoch(o, name, ctx):
    t_cur = getattr(o, "T_cur", None)
    if _cls(o) != "CosineAnnealingWarmRestarts" or getattr(o, "T_mult", 1) == 1 or not isinstance(t_cur, float):
        return
    if not float(t_cur).is_integer():
        yield _f("LRB008", o, name,
                 f"T_cur={t_cur!r} is fractional: the scheduler was stepped with float epochs, which torch maps to a "
                 f"cycle through int(math.log(...)) and rounds one cycle short at exact restarts",
                 "step once per optimizer step with no argument, T_0 counted in steps")


def resume_last_epoch(o, name, ctx):
    count, last = getattr(o, "_step_count", None), getattr(o, "last_epoch", None)
    if _framework(o) != "torch" or not isinstance(count, int) or count < 1 or not isinstance(last, int):
        return
    if last != count - 1:
        yield _f("LRB009", o, name,
                 f"last_epoch={last} after {count - 1} step() calls: the scheduler was built with last_epoch="
                 f"{last - count} to resume, which continues off the uninterrupted curve from the next step",
                 "build it with last_epoch=-1 and load the checkpoint's scheduler.state_dict()")


def onecycle_total_steps(o, name, ctx):
    steps, total = ctx.get("steps"), getattr(o, "total_steps", None)
    if _cls(o) != "OneCycleLR" or not steps or total is None or total == steps:
        return
    what = (f"scheduler.step() after optimizer step {total - 1} raises ValueError and the run dies" if steps > total
            else f"the anneal stops at step {steps - 1}, {total - steps} steps before its final lr")
    yield _f("LRB010", o, name, f"OneCycleLR(total_steps={total}) for a run of {steps} steps: {what}",
             f"total_steps={steps} (epochs * len(train_loader))")


def nested_sequential(o, name, ctx):
    parts = getattr(o, "_schedulers", None) or getattr(o, "schedulers", None) or []
    if _cls(o) != "SequentialLR":
        return
    for i, p in enumerate(parts):
        if _cls(p) == "SequentialLR":
            ms = list(getattr(o, "_milestones", getattr(o, "milestones", [])))
            yield _f("LRB011", o, name, nested_sequential_effect(_framework(o), i, ms[i - 1] if 0 < i <= len(ms) else None),
                     "flatten the stages into one SequentialLR")


#: horizon attribute of each scheduler class (torch and OneFlow names)
_HORIZON_ATTRS = ("T_max", "T_0", "step_size", "total_iters", "decay_steps", "decay_batch")


def epoch_horizon(o, name, ctx):
    steps, spe, interval = ctx.get("steps"), ctx.get("steps_per_epoch"), ctx.get("interval", "step")
    if not (steps and spe and spe > 1 and interval == "step"):
        return
    for attr in _HORIZON_ATTRS:
        h = getattr(o, attr, None)
        if isinstance(h, int) and not isinstance(h, bool) and h > 1 and h * spe == steps:
            yield _f("LRB012", o, name,
                     f"{_cls(o)}({attr}={h}) equals the number of epochs ({steps} steps / {spe} per epoch) but is "
                     f"stepped every optimizer step: its horizon ends at step {h}, within the first epoch",
                     f"{attr}={h * spe} (count the horizon in steps), or step it once per epoch (interval='epoch')")
            return


OBJECT_RULES = (
    oneflow_eager_lr_scale,
    oneflow_sequential_clock,
    mindspore_short_list,
    mindspore_tiny_lr,
    torch_chained_recursive,
    cawr_float_epoch,
    resume_last_epoch,
    onecycle_total_steps,
    nested_sequential,
    epoch_horizon,
)


def _expand(obj):
    """An object and what it carries: the dict of #9 ({"optimizer", "scheduler"/"schedulers", ...}), tuples."""
    if isinstance(obj, dict):
        for key in ("optimizer", "scheduler"):
            if obj.get(key) is not None:
                yield obj[key], key
        for i, s in enumerate(obj.get("schedulers") or []):
            yield s, f"schedulers[{i}]"
    elif isinstance(obj, tuple) and not all(isinstance(x, (int, float)) for x in obj):
        for i, x in enumerate(obj):
            yield from _expand(x) if isinstance(x, (dict, tuple)) else [(x, None)]
    else:
        yield obj, None


def lint_live(objects, names=None, **ctx) -> list[Finding]:
    """Run every object rule on every object (dicts and tuples opened up)."""
    out: list[Finding] = []
    for i, top in enumerate(objects):
        for obj, key in _expand(top):
            if obj is None:
                continue
            label, run = (names[i] if names else None), ctx
            if isinstance(top, dict):  # the run facts a source dict carries; explicit keywords win
                run = {**{k: top[k] for k in ("steps_per_epoch", "interval", "steps") if top.get(k) is not None}, **ctx}
                label = f"{label or 'object'}[{key!r}]"
            for check in OBJECT_RULES:
                out.extend(check(obj, label, run))
    return out
