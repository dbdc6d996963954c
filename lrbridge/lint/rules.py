"""The lint rules over source files: one small function per known silent divergence.

Each rule reads a ``SourceModel`` and yields ``Finding``s saying what will happen,
at which step, and the fix. The facts behind them are measured in
``framework-semantics.md`` (torch 2.13, MindSpore 2.10, OneFlow 0.9); ``docs/checking-your-port.md``
shows every rule with an example.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Iterator

from .findings import Finding
from .source import DYNAMIC_LR_TOTAL, SourceModel, cadence, dotted, units

RuleFn = Callable[[SourceModel, dict], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    check: RuleFn


RULES: dict[str, Rule] = {}


def rule(rule_id: str, name: str, summary: str):
    """Register a source rule under its id."""

    def register(fn: RuleFn) -> RuleFn:
        RULES[rule_id] = Rule(rule_id, name, summary, fn)
        return fn

    return register


def _finding(model: SourceModel, rule_id: str, node, message: str, fix: str) -> Finding:
    return Finding(rule_id, model.filename, getattr(node, "lineno", 0), message, fix)


def _src(node) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _dict_keys(node) -> dict[str, ast.expr]:
    """String keys of a dict literal (``dict(a=...)`` included) -> their values."""
    if isinstance(node, ast.Dict):
        return {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    if isinstance(node, ast.Call) and dotted(node.func) == "dict":
        return {kw.arg: kw.value for kw in node.keywords if kw.arg}
    return {}


def _group_dicts(model: SourceModel, expr) -> list:
    """The dict literals of a param-groups argument (a list of dicts, followed through names and appends)."""
    items = model.list_items(expr) if expr is not None else None
    if items is None:
        return []
    return [d for d in (model.value(i) for i in items) if _dict_keys(d) or isinstance(d, ast.Dict)]


#: scheduler classes -> (keywords naming their horizon argument, its position) in torch / OneFlow
HORIZON_ARGS = {
    "CosineAnnealingLR": (("T_max",), 1),
    "CosineAnnealingWarmRestarts": (("T_0",), 1),
    "StepLR": (("step_size",), 1),
    "MultiStepLR": (("milestones",), 1),
    "LinearLR": (("total_iters",), 3),
    "ConstantLR": (("total_iters",), 2),
    "PolynomialLR": (("total_iters", "decay_batch"), 1),
    "CosineDecayLR": (("decay_steps",), 1),
    "WarmupLR": (("warmup_iters",), 2),
}

#: MindSpore nn optimizers (group dicts accept only these keys)
MS_GROUP_KEYS = ("params", "lr", "weight_decay", "order_params", "grad_centralization")
MS_SCHEDULE_CELLS = ("ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR", "CosineDecayLR", "PolynomialDecayLR", "WarmUpLR")


def _is_ms_nn_optimizer(c) -> bool:
    """A ``mindspore.nn`` optimizer (not ``mindspore.experimental.optim``, whose groups work like torch's)."""
    return c.framework == "mindspore" and c.name in MS_OPTIMIZERS and ".experimental." not in c.qualname


MS_OPTIMIZERS = ("SGD", "Momentum", "Adam", "AdamWeightDecay", "AdamOffload", "Lamb", "LARS", "LazyAdam", "RMSProp",
                 "Adagrad", "Adadelta", "Adamax", "FTRL", "ProximalAdagrad", "ASGD", "Rprop", "AdaMax")


# ---------------------------------------------------------------- OneFlow


@rule("LRB001", "oneflow-eager-lr-scale", "OneFlow eager ignores a param group's lr_scale (only nn.Graph applies it)")
def oneflow_eager_lr_scale(model: SourceModel, opts: dict):
    if "oneflow" not in model.frameworks or model.uses_oneflow_graph():
        return
    if _reads_key(model, "lr_scale"):  # the script applies lr_scale itself (OneFlow's documented eager recipe)
        return
    for node in ast.walk(model.tree):
        scale = _dict_keys(node).get("lr_scale")
        if scale is None:
            continue
        value = model.const(scale)
        if value == 1:
            continue
        shown = f"lr_scale={value:g}" if isinstance(value, (int, float)) else f"lr_scale={_src(scale)}"
        yield _finding(
            model, "LRB001", node,
            f"param group with {shown} in an eager OneFlow script: eager optimizers ignore lr_scale, so from step 0 on "
            f"this group applies its unscaled lr (only nn.Graph multiplies by lr_scale)",
            "multiply the group's 'lr' by the scale (lr=base*scale) for eager runs, or train through nn.Graph "
            "(graph.add_optimizer); lrbridge.to_oneflow(plan, opt) folds lr_scale into eager groups",
        )


def _reads_key(model: SourceModel, key: str) -> bool:
    for n in ast.walk(model.tree):
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.slice, ast.Constant) and n.slice.value == key:
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and n.args \
                and isinstance(n.args[0], ast.Constant) and n.args[0].value == key:
            return True
    return False


@rule("LRB002", "oneflow-sequential-shared-clock",
      "OneFlow SequentialLR/WarmupLR on the default shared clock where torch's SequentialLR restarts each stage")
def oneflow_sequential_clock(model: SourceModel, opts: dict):
    for c in model.calls_named("SequentialLR", framework="oneflow"):
        if c.has_kwarg("interval_rescaling") or len(c.node.args) >= 4:
            continue  # the clock is chosen explicitly
        ms = model.list_items(c.arg("milestones", 2)) or []
        m = model.const(ms[0]) if ms else None
        at = f"step {m}" if isinstance(m, int) else "the first milestone"
        yield _finding(
            model, "LRB002", c.node,
            f"OneFlow SequentialLR defaults to interval_rescaling=False: from {at} on the next scheduler runs on the "
            f"global step (at {at} it applies its lr of that step, not of step 0), whereas torch's SequentialLR "
            f"restarts it at 0",
            "pass interval_rescaling=True to restart each stage as torch does (or interval_rescaling=False to state "
            "that the shared clock is meant)",
        )
    for c in model.calls_named("WarmupLR", framework="oneflow"):
        if c.has_kwarg("warmup_prefix") or len(c.node.args) >= 5:
            continue
        w = model.const(c.arg("warmup_iters", 2))
        at = f"step {w}" if isinstance(w, int) else "the end of the warmup"
        yield _finding(
            model, "LRB002", c.node,
            f"OneFlow WarmupLR defaults to warmup_prefix=False: the warmup ramps to the main scheduler's lr at {at} "
            f"and the main scheduler keeps the global step, so from {at} on it is not torch's "
            f"SequentialLR([LinearLR, main]) (which starts the main scheduler at its step 0)",
            "pass warmup_prefix=True for torch's warmup-then-restart (or warmup_prefix=False to state the shared clock)",
        )


@rule("LRB003", "oneflow-graph-runtime-lr", "runtime param_group['lr'] changes are ignored by a compiled OneFlow nn.Graph")
def oneflow_graph_runtime_lr(model: SourceModel, opts: dict):
    if "oneflow" not in model.frameworks or not model.uses_oneflow_graph():
        return
    for node in ast.walk(model.tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and t.slice.value in ("lr", "initial_lr") \
                    and model.enclosing(node, (ast.For, ast.While, ast.AsyncFor)):
                yield _finding(
                    model, "LRB003", node,
                    f"'{ast.unparse(t)}' is changed at run time in a script that trains through nn.Graph: the graph "
                    f"compiled the lr when it was built and never reads param_group['lr'] again, so every step after "
                    f"the change still applies the compiled schedule",
                    "give the schedule to the graph (graph.add_optimizer(opt, lr_sch=scheduler), e.g. a LambdaLR-free "
                    "scheduler from lrbridge.to_oneflow(plan, opt, graph=True)) and per-group factors as lr_scale",
                )


# ---------------------------------------------------------------- MindSpore


def _ms_planned_steps(model: SourceModel, opts: dict, lr_call) -> tuple[int | None, str]:
    """Steps the script trains for: ``--steps``, else model.train(epochs, ...) × step_per_epoch, else a counted loop nest."""
    if opts.get("steps"):
        return int(opts["steps"]), f"the planned {opts['steps']} steps"
    spe = _step_per_epoch(model, lr_call) if lr_call else None
    if spe is None:  # the lr was assembled from several lists: their common step_per_epoch
        found = {_step_per_epoch(model, c) for c in model.calls if c.name in DYNAMIC_LR_TOTAL}
        spe = found.pop() if len(found) == 1 else None
    for c in model.calls:
        if c.name == "train" and isinstance(c.node.func, ast.Attribute) and c.node.args:
            epochs = model._int(c.arg("epoch", 0))
            if epochs and spe:
                return epochs * spe, f"model.train({epochs} epochs) × step_per_epoch={spe} = {epochs * spe} steps"
    return None, ""


def _step_per_epoch(model: SourceModel, call) -> int | None:
    if call.name not in DYNAMIC_LR_TOTAL:
        return None
    return model._int(call.arg("step_per_epoch", DYNAMIC_LR_TOTAL[call.name] + 1))


def _lr_lists(model: SourceModel, c):
    """(expression, length, the dynamic_lr call behind it) of every lr list given to a MindSpore optimizer call."""
    exprs = [c.arg("learning_rate", 1)]
    for d in _group_dicts(model, c.arg("params", 0)):
        exprs.append(_dict_keys(d).get("lr"))
    for e in exprs:
        if e is None:
            continue
        n = model.list_length(e)
        if n is not None:
            v = model.value(e)
            inner = model.call_of(v) if isinstance(v, ast.Call) else None
            while inner is not None and inner.name in ("list", "array", "asarray", "Tensor") and inner.node.args:
                inner = model.resolved_call(inner.node.args[0])
            yield e, n, inner


@rule("LRB004", "mindspore-short-lr-list", "a MindSpore lr list shorter than the steps trained crashes mid-run")
def mindspore_short_list(model: SourceModel, opts: dict):
    for c in model.calls:
        if not _is_ms_nn_optimizer(c):
            continue
        for expr, n, lr_call in _lr_lists(model, c):
            planned, how = _ms_planned_steps(model, opts, lr_call)
            if planned is None or n >= planned:
                continue
            yield _finding(
                model, "LRB004", expr,
                f"the lr list '{_src(expr)}' has {n} entries but training runs {how}: the optimizer reads "
                f"lr[global_step] with Gather, so step {n} fails ('input_indices should be in the range [0, {n}), "
                f"but got {n}') and the run dies there",
                f"make the list cover every step (total_step={planned}, e.g. lrbridge.to_mindspore_lr_list(plan, "
                f"total_step={planned})), or use a LearningRateSchedule cell",
            )


@rule("LRB005", "mindspore-group-keys", "MindSpore nn optimizers reject group keys other than params/lr/weight_decay/...")
def mindspore_group_keys(model: SourceModel, opts: dict):
    for c in model.calls:
        if not _is_ms_nn_optimizer(c):
            continue
        for d in _group_dicts(model, c.arg("params", 0)):
            keys = _dict_keys(d)
            bad = [k for k in keys if k not in MS_GROUP_KEYS]
            if "order_params" in keys and len(keys) > 1:
                bad = bad or [k for k in keys if k != "order_params"]
                yield _finding(
                    model, "LRB005", d,
                    f"an 'order_params' group may hold nothing else, but this one also sets {bad}: MindSpore "
                    f"raises ValueError when the optimizer is built (its docstring says they are ignored)",
                    "put 'order_params' in a dict of its own and the settings in the parameters' own groups",
                )
                continue
            if bad:
                yield _finding(
                    model, "LRB005", d,
                    f"group keys {bad} are not MindSpore group settings (only {', '.join(MS_GROUP_KEYS)}): "
                    f"{c.name} raises KeyError before step 0; deleting them to make it run silently drops "
                    f"what torch applied per group (e.g. a per-group momentum or lr_scale)",
                    "fold lr_scale into 'lr' (lr=base*scale); hyperparameters other than lr/weight_decay cannot differ "
                    "between MindSpore nn groups: use one optimizer per setting, or mindspore.experimental.optim "
                    "(torch-style groups)",
                )


def _is_dynamic_lr(model: SourceModel, expr) -> bool:
    if expr is None:
        return False
    if model.list_length(expr) is not None:
        return True
    call = model.resolved_call(expr)
    if call is None:
        return False
    if call.name in MS_SCHEDULE_CELLS or call.name in ("Tensor",):
        return True
    return _is_schedule_subclass(model, call.name)


def _is_schedule_subclass(model: SourceModel, name: str) -> bool:
    for n in ast.walk(model.tree):
        if isinstance(n, ast.ClassDef) and n.name == name:
            return any((dotted(b) or "").endswith("LearningRateSchedule") for b in n.bases)
    return False


#: relative change below which the rounding through 1.0 is left to ``lrbridge diff`` (a few float32 ulps)
TINY_LR_REL = 1e-6


def mindspore_applied_float_lr(lr: float) -> float:
    """What a MindSpore float group lr becomes once another group's lr is dynamic.

    ``_ConvertToCell`` computes ``lr + 1.0 - 1.0`` in float32: fp32(fp32(fp32(lr) + 1) − 1).
    """
    import numpy as np

    one = np.float32(1.0)
    return float((np.float32(lr) + one) - one)


@rule("LRB006", "mindspore-tiny-lr", "a float group lr beside a dynamic one is rounded through 1.0 in float32")
def mindspore_tiny_lr(model: SourceModel, opts: dict):
    for c in model.calls:
        if not _is_ms_nn_optimizer(c):
            continue
        top = c.arg("learning_rate", 1)
        groups = [_dict_keys(d) for d in _group_dicts(model, c.arg("params", 0))]
        lrs = [(g["lr"], g["lr"]) for g in groups if "lr" in g]
        if top is not None and any("lr" not in g and "order_params" not in g for g in groups):
            lrs.append((top, c.node))  # the optimizer's learning_rate is the lr of groups without their own
        if not any(_is_dynamic_lr(model, e) for e, _ in lrs):
            continue
        for expr, where in lrs:
            value = model.const(expr)
            if not isinstance(value, (int, float)) or value == 0:
                continue
            applied = mindspore_applied_float_lr(value)
            if abs(applied - value) <= TINY_LR_REL * abs(value):
                continue
            yield _finding(
                model, "LRB006", where,
                f"float lr {value!r} sits beside a dynamic lr, so MindSpore wraps it in _ConvertToCell, which "
                f"computes lr + 1.0 - 1.0 in float32: every step from 0 on applies {applied!r} "
                f"({(applied - value) / value:+.2%})",
                "give this group a dynamic lr too (a constant list [lr] * total_step, or a LearningRateSchedule "
                "returning lr), which keeps fp32(lr)",
            )


# ---------------------------------------------------------------- torch (and the torch-like APIs)


#: torch schedulers that set the lr from base_lrs (or affinely) instead of multiplying the current lr
NOT_A_FACTOR = ("CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "LambdaLR",
                "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau")


@rule("LRB007", "torch-chained-recursive", "torch ChainedScheduler composes recursive updates, not closed forms")
def torch_chained_recursive(model: SourceModel, opts: dict):
    for c in model.calls_named("ChainedScheduler", framework="torch"):
        parts = model.list_items(c.arg("schedulers", 0)) or []
        calls = [model.resolved_call(p) for p in parts]
        if len(calls) < 2:
            continue
        for part in calls:
            if part is None or part.name not in NOT_A_FACTOR:
                continue
            if part.name == "CosineAnnealingLR" and not _nonzero(model, part.arg("eta_min", 2)):
                t = model.const(part.arg("T_max", 1))
                when = f"from step {t + 1} (past T_max={t}, where its update adds instead of multiplying)" if isinstance(t, int) \
                    else "from step T_max + 1 on (its past-T_max update adds instead of multiplying)"
            elif part.name == "CosineAnnealingLR":
                when = "from step 1 (with eta_min ≠ 0 its update is affine, not a factor)"
            else:
                when = f"as soon as another part changes the lr ({part.name} recomputes it from base_lrs every step)"
            yield _finding(
                model, "LRB007", c.node,
                f"torch's ChainedScheduler steps each part on the current lr, so with {part.name} (line {part.line}) the "
                f"lr stops being the product of the parts' closed forms {when}; OneFlow's ChainedScheduler and "
                f"lrbridge's 'chained' are that product (CosineAnnealingLR(T_max=4) with StepLR(2, 0.5): 0.146447 in "
                f"torch vs 0.036612 at step 5)",
                "if the product was meant, write one LambdaLR of the product (or lrbridge's 'chained' via "
                "lrbridge.to_torch); if torch's behaviour was meant, port the curve as a table (from_torch tabulates it)",
            )
            break


def _nonzero(model: SourceModel, expr) -> bool:
    if expr is None:
        return False
    v = model.const(expr)
    return v is None or v != 0


def _scheduler_vars(model: SourceModel, name: str, framework: str | None = None):
    """(call, variable) for every construction of scheduler ``name`` bound to a variable."""
    for c in model.calls_named(name, framework=framework):
        for var in model.bound_names(c.node):
            yield c, var


@rule("LRB008", "cawr-float-epoch", "CosineAnnealingWarmRestarts.step(epoch) takes the float-log path")
def cawr_float_epoch(model: SourceModel, opts: dict):
    for c, var in _scheduler_vars(model, "CosineAnnealingWarmRestarts"):
        if c.framework not in ("torch", "mindspore", None):
            continue
        mult_arg = c.arg("T_mult", 2)
        mult = model.const(mult_arg) if mult_arg is not None else 1
        for s in model.method_calls(var, "step"):
            arg = s.arg("epoch", 0)
            if arg is None:
                continue
            fractional = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in ast.walk(arg)) or \
                isinstance(model.const(arg), float)
            if mult == 1:
                continue  # T_cur = epoch % T_0: no logarithm involved
            what = "a fractional epoch" if fractional else "an explicit epoch"
            yield _finding(
                model, "LRB008", s.node,
                f"{var}.step({_src(arg)}) passes {what}, so torch finds the cycle with int(math.log(epoch / T_0 * "
                f"(T_mult - 1) + 1, T_mult)), which rounds down one cycle at exact restarts (T_0=1, T_mult=3: epoch "
                f"121 gives lr 0.0 instead of 1.0; the no-argument step() gives 1.0): from the first such restart "
                f"the lr is off by a whole cycle",
                "step once per optimizer step with no argument and T_0 counted in steps (T_0 epochs × steps per "
                "epoch), or port lrbridge's exact 'cosine_restarts'",
            )


@rule("LRB009", "resume-last-epoch", "rebuilding a torch scheduler with last_epoch=k does not resume its curve")
def resume_last_epoch(model: SourceModel, opts: dict):
    for c in model.calls:
        if c.framework != "torch" or not (c.name.endswith("LR") or c.name in ("CosineAnnealingWarmRestarts", "ChainedScheduler")):
            continue
        arg = c.arg("last_epoch")
        if arg is None or model.const(arg) == -1:
            continue
        yield _finding(
            model, "LRB009", c.node,
            f"{c.name}(..., last_epoch={_src(arg)}) resumes off the curve: the constructor takes one more step from "
            f"the current lr, so the first resumed steps apply the lr of the next step, or a recursion from the "
            f"wrong value (CosineAnnealingLR(T_max=10, eta_min=0.001, last_epoch=4) with base lr 1 applies "
            f"0.4528 at step 5 instead of 0.5005)",
            "build the scheduler with last_epoch=-1, then optimizer.load_state_dict(...) and "
            "scheduler.load_state_dict(...) from the checkpoint",
        )


@rule("LRB010", "onecycle-total-steps", "OneCycleLR's total_steps must equal the optimizer steps actually run")
def onecycle_total_steps(model: SourceModel, opts: dict):
    for c, var in _scheduler_vars(model, "OneCycleLR"):
        total = c.arg("total_steps", 2)
        steps = [s for s in model.method_calls(var, "step")]
        loop = _step_loop(model, steps)
        if total is None:
            epochs, spe = c.arg("epochs", 3), c.arg("steps_per_epoch", 4)
            if epochs is None or spe is None or loop is None:
                continue
            loader = _loop_source(model, loop[-1])
            spe_words = model.identifiers(spe)
            if loader and "len()" in spe_words and loader not in spe_words:
                yield _onecycle(model, c, f"steps_per_epoch={_src(spe)} counts another loader than the one "
                                          f"{var}.step() runs over ('{loader}')")
            continue
        planned = opts.get("steps")
        n = model._int(total)
        if planned and n is not None and n != planned:
            yield _onecycle(model, c, f"total_steps={n} but the run has {planned} steps")
        elif loop is not None and n is not None:
            run = _loop_steps(model, loop)
            if run is None:
                yield _onecycle(model, c, f"total_steps={n} is a constant while {var}.step() runs once per batch of a "
                                          f"loader: it equals the steps run only for one loader length")
            elif run != n:
                yield _onecycle(model, c, f"total_steps={n} but the loops around {var}.step() run {run} steps")
        elif loop is not None and units(model, total) == "epoch":
            yield _onecycle(model, c, f"total_steps={_src(total)} counts epochs while {var}.step() runs once per batch")


def _onecycle(model, c, why: str) -> Finding:
    return _finding(
        model, "LRB010", c.node,
        f"OneCycleLR: {why}. With more steps than total_steps the scheduler.step() after optimizer step "
        f"total_steps − 1 raises ValueError ('Tried to step total_steps + 1 times') and the run dies; with fewer "
        f"the anneal is cut short and the lr never reaches its final value",
        "pass epochs=EPOCHS, steps_per_epoch=len(train_loader) (the loader the loop iterates), or "
        "total_steps=EPOCHS * len(train_loader)",
    )


def _step_loop(model: SourceModel, steps):
    """The loops of the first per-iteration ``step()`` call, else None."""
    for s in steps:
        if cadence(model, s) == "iteration":
            return s.loops
    return None


def _loop_steps(model: SourceModel, loops) -> int | None:
    """Iterations of a nest of counted loops (``for e in range(E): for i in range(S)`` -> E·S), else None."""
    total = 1
    for lp in loops:
        n = model.range_length(lp.iter) if isinstance(lp, ast.For) else None
        if n is None:
            return None
        total *= n
    return total


def _loop_source(model: SourceModel, loop) -> str | None:
    """The data a batch loop iterates (``for x in loader`` / ``enumerate(loader)`` -> "loader")."""
    it = getattr(loop, "iter", None)
    while isinstance(it, ast.Call) and it.args:
        it = it.args[0]
    return dotted(it) if it is not None else None


@rule("LRB011", "nested-sequential", "a SequentialLR inside a SequentialLR switches early or crashes")
def nested_sequential(model: SourceModel, opts: dict):
    for c in model.calls_named("SequentialLR"):
        parts = model.list_items(c.arg("schedulers", 1)) or []
        ms = model.list_items(c.arg("milestones", 2)) or []
        for idx, p in enumerate(parts):
            inner = model.resolved_call(p)
            if inner is None or inner.name != "SequentialLR":
                continue
            m = model.const(ms[idx - 1]) if 0 < idx <= len(ms) else None
            yield _finding(model, "LRB011", p, nested_sequential_effect(c.framework, idx, m),
                           "flatten it into one SequentialLR with all stages and milestones (inner milestones shifted "
                           "by the outer one), or lrbridge's 'sequential' whose stages may nest")


def nested_sequential_effect(framework: str | None, stage: int, milestone) -> str:
    """What a SequentialLR nested as stage ``stage`` does (torch 2.13 and OneFlow 0.9, measured)."""
    at = f"step {milestone}" if isinstance(milestone, int) else "the outer milestone"
    crash = (f"on reaching {at} the outer scheduler restarts the inner one through a closed form SequentialLR does "
             f"not have, so scheduler.step() raises NotImplementedError and optimizer {at} never runs")
    if stage > 0:
        return f"SequentialLR nested in SequentialLR as stage {stage}: {crash}"
    if framework == "oneflow":
        return ("SequentialLR nested in OneFlow's SequentialLR: OneFlow asks the inner scheduler for get_lr(base, step), "
                "which SequentialLR does not implement, so the outer constructor already raises NotImplementedError")
    return ("SequentialLR nested as the first stage: the outer constructor rewinds the inner one's schedulers but not "
            "its own counter, so in torch every inner milestone acts one step early (inner milestone 3 switches at "
            "step 2); OneFlow raises NotImplementedError in the constructor")


@rule("LRB012", "epoch-horizon-per-iteration", "a horizon counted in epochs given to a scheduler stepped every batch")
def epoch_horizon(model: SourceModel, opts: dict):
    for cls, (kws, pos) in HORIZON_ARGS.items():
        for c, var in _scheduler_vars(model, cls):
            found = [(k, c.arg(k)) for k in kws if c.arg(k) is not None] or [(kws[0], c.arg(kws[0], pos))]
            kw, arg = found[0]
            if arg is None:
                continue
            unit = units(model, arg)
            for s in model.method_calls(var, "step"):
                how = cadence(model, s)
                if unit == "epoch" and how == "iteration":
                    yield _finding(
                        model, "LRB012", c.node,
                        f"{cls}({kw}={_src(arg)}) counts epochs, but {var}.step() (line {s.line}) runs once per batch: "
                        f"the schedule's horizon is reached after {_src(arg)} optimizer steps, within the first epoch, "
                        f"and the rest of training runs past it",
                        f"count the horizon in steps ({kw}={_src(arg)} * len(train_loader)) or call {var}.step() "
                        f"once per epoch",
                    )
                    break
                if unit == "step" and how == "epoch":
                    yield _finding(
                        model, "LRB012", c.node,
                        f"{cls}({kw}={_src(arg)}) counts steps, but {var}.step() (line {s.line}) runs once per epoch: "
                        f"the schedule advances once per epoch and reaches a small fraction of its horizon",
                        f"call {var}.step() once per batch, or count the horizon in epochs",
                    )
                    break
