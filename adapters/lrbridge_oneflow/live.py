"""IR -> live OneFlow objects. Imported only inside the OneFlow interpreter (it imports oneflow).

``to_oneflow(plan, optimizer, graph=False)`` writes the plan's group lrs into the
optimizer and returns the scheduler ``export`` chose: OneFlow's own classes, or
``PlanLR``, lrbridge's closed-form ``LRScheduler`` subclass (the same core as
torch's and MindSpore's ``PlanLR``: ``lrbridge.stepping``), which also writes
nn.Graph's ``LearningRateDecayConf`` itself where the C++ kernel has a conf
equal to the IR (exponential over several steps, natural-exp, inverse-time,
piecewise, an exact table, ...).

Horizon (eager): stepping ``PlanLR`` to the horizon N is allowed; ``optimizer.step()``
applying a step past an ``error`` horizon raises (the optimizer's ``step`` is
wrapped: OneFlow 0.9 optimizers have no step hooks); in nn.Graph, where nothing can raise, the
compiled conf applies NaN from the horizon on (``export._stop_at_horizon``). Scheduled momentum/beta1/weight_decay
are written into the param groups every step (OneFlow eager reads them per step; nn.Graph
compiles them into the job conf, so ``check`` refuses them there).
"""

from __future__ import annotations

import weakref

from lrbridge.capability import CheckResult
from lrbridge.errors import BackendUnavailableError, PlanError
from lrbridge.groups import assign_params, plan_for_param_groups
from lrbridge.io import plan_from_dict
from lrbridge.stepping import PlanSteps, write_hparams

from .capability import check
from .export import PLAN_LR, closed_form_eager, export
from .optim import optimizer_kwargs, optimizer_problems
from .runtime import load_oneflow

try:
    flow = load_oneflow()
except ImportError as exc:  # the main environment: say where OneFlow runs instead
    raise BackendUnavailableError(
        f"OneFlow is not importable here ({exc}); to_oneflow/from_oneflow run inside the OneFlow interpreter "
        "(.venv-oneflow, Python 3.10). From this environment use lrbridge.check(plan, 'oneflow', mode), "
        "'lrbridge convert --to oneflow', or the worker (lrbridge_oneflow.interpreter.call_oneflow)"
    ) from None
_LRScheduler = flow.optim.lr_scheduler._LRScheduler


def write_conf(message, conf: dict) -> None:
    """Fill a protobuf message from its JSON form (nested dicts, lists of dicts or scalars)."""
    for key, value in conf.items():
        target = getattr(message, key)
        if isinstance(value, dict):
            target.SetInParent()
            write_conf(target, value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    write_conf(target.add(), item)
                else:
                    target.append(item)
        else:
            setattr(message, key, value)


def _conf_dict(fill) -> dict:
    from google.protobuf.json_format import MessageToDict
    from oneflow.core.job import learning_rate_schedule_conf_pb2 as pb

    msg = pb.LearningRateDecayConf()
    fill(msg)
    return MessageToDict(msg, preserving_proto_field_name=True, including_default_value_fields=True)


def graph_conf_of(scheduler) -> dict:
    """The LearningRateDecayConf a live scheduler writes for nn.Graph, as protobuf JSON."""
    return _conf_dict(scheduler._generate_conf_for_graph)


def graph_conf_proto_json(conf: dict) -> dict:
    """``export``'s graph conf, through the protobuf message (same JSON form as ``graph_conf_of``)."""
    return _conf_dict(lambda msg: write_conf(msg, conf))


def _guard_step(optimizer, sched) -> None:
    """Wrap ``optimizer.step`` so that applying a step past the plan's error horizon raises first."""
    ref = weakref.ref(sched)
    inner = optimizer.step

    def step(*args, **kwargs):
        s = ref()
        if s is not None and not s.graph:
            s.steps.check_apply(s.last_step)
        return inner(*args, **kwargs)

    optimizer.step = step


class PlanLR(_LRScheduler):
    """Closed-form scheduler: group g gets the plan's lr at step k (``lrbridge.evaluate``).

    Computed in float64 by the reference evaluator (``lrbridge.stepping.PlanSteps``), so
    eager applies exactly the reference, horizon policy and scheduled momentum/beta1 included.
    In nn.Graph it writes ``graph_conf`` (the kernel conf equal to the plan, from
    ``export``) or refuses with the reasons ``check`` gives.
    """

    def __init__(self, optimizer, plan, graph: bool = False, graph_conf: dict | None = None, last_step=-1, verbose=False):
        if isinstance(plan, dict):
            plan = plan_from_dict(plan)
        if len(optimizer.param_groups) != len(plan.groups):
            raise PlanError("groups", f"the optimizer has {len(optimizer.param_groups)} param groups, the plan {len(plan.groups)}")
        self.plan = plan
        self.graph = graph
        self.graph_conf = graph_conf
        # eager ignores lr_scale, so PlanLR applies it; in nn.Graph the optimizer conf does
        unscaled = plan.model_copy(update={"groups": tuple(g.model_copy(update={"lr_scale": 1.0}) for g in plan.groups)})
        self.steps = PlanSteps(unscaled if graph else plan)
        super().__init__(optimizer, last_step, verbose)
        if plan.horizon.past == "error" and not graph:
            _guard_step(optimizer, self)

    def get_lr(self, base_lr, step):
        raise NotImplementedError("PlanLR computes every group at once in step(); it cannot be nested in a OneFlow composite")

    def step(self):
        self.last_step += 1
        if self.steps.hparam_names and not self.graph:
            write_hparams(self.optimizer.param_groups, self.steps.hparams(self.last_step))
        self.update_lrs(self.steps.lrs(self.last_step))

    def _generate_conf_for_graph(self, lr_conf):
        if self.graph_conf is None:
            res = check(self.plan, "graph", optimizer=False)
            CheckResult("oneflow", "graph", False, res.reasons or ["built for eager mode"], res.alternative).raise_if_not_ok()
        write_conf(lr_conf, self.graph_conf)


def build_scheduler(spec: dict, optimizer):
    """A live scheduler from a native or PlanLR spec (``export``'s output)."""
    from .native import build_scheduler as build_native

    if spec["class"] == PLAN_LR:
        return PlanLR(optimizer, **spec["kwargs"])
    if spec["class"] == "ReduceLROnPlateau":
        return flow.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **spec["kwargs"])
    return build_native(flow, optimizer, spec)


def _set_groups(optimizer, groups: list[dict], graph: bool) -> None:
    for pg, eg in zip(optimizer.param_groups, groups):
        pg["lr"] = eg["lr"]
        pg["initial_lr"] = eg["lr"]  # what schedulers and nn.Graph read as the base lr
        if graph:
            pg["lr_scale"] = eg["lr_scale"]
        elif "lr_scale" in pg:  # eager ignores lr_scale; it is folded into lr instead of left behind
            pg.options.pop("lr_scale")


def _group_name(pg):
    try:
        return pg["name"]
    except (KeyError, TypeError):
        return None


def to_oneflow(plan, optimizer, graph: bool = False):
    """Schedule ``optimizer`` as ``plan`` says (named param groups map by name, else by position).

    Eager (default): returns the scheduler to ``step()`` after every ``optimizer.step()``.
    ``graph=True``: returns the ``lr_sch`` for ``nn.Graph.add_optimizer(optimizer, lr_sch=...)``
    and sets each group's ``lr_scale``. Raises UnrepresentableError (the message of
    ``lrbridge.check(plan, "oneflow", mode)``) when the mode cannot express the plan.
    """
    from lrbridge.errors import expect_type
    from lrbridge.plan import Plan

    expect_type(plan, Plan, "to_oneflow", "plan", "load a file with lrbridge.load_plan")
    expect_type(optimizer, flow.optim.Optimizer, "to_oneflow", "optimizer", "build it with oneflow_optimizer(plan, model)")
    mode = "graph" if graph else "eager"
    plan = plan_for_param_groups(plan, [_group_name(pg) for pg in optimizer.param_groups], "lrbridge's oneflow_optimizer(plan, model)")
    check(plan, mode, optimizer=False).raise_if_not_ok()
    ex = export(plan, mode)
    if not graph and ex.scheduler["class"] not in (PLAN_LR, "ReduceLROnPlateau"):
        why = verify_native(plan, ex)
        if why:  # the class the rules chose differs from the plan somewhere: the closed form instead
            ex = closed_form_eager(plan, why)
    _set_groups(optimizer, ex.groups, graph)
    sched = build_scheduler(ex.scheduler, optimizer)
    sched.lrbridge_notes = list(ex.notes)
    return sched


def verify_native(plan, ex) -> str | None:
    """None when OneFlow's own scheduler of an eager export applies the plan's lr at every verified step
    (the horizon, and past every threshold of the family; ``lrbridge.stepping.verify_steps``) in float32,
    OneFlow eager's applied precision; else why not. Stepped on a scratch optimizer."""
    import numpy as np

    from lrbridge.errors import LrBridgeError
    from lrbridge.reference import evaluate
    from lrbridge.stepping import VERIFY_CAP, first_difference, verify_steps

    from .export import describe

    n = verify_steps(plan)
    if n > VERIFY_CAP:
        return f"{n} steps to verify {describe(ex.scheduler)} over exceed VERIFY_CAP={VERIFY_CAP}"
    try:
        want = evaluate(plan, n + 1)
    except LrBridgeError as exc:
        return f"the plan cannot be evaluated over the {n + 1} steps verifying {describe(ex.scheduler)}: {exc}"
    params = [flow.nn.Parameter(flow.zeros(1)) for _ in ex.groups]
    opt = flow.optim.SGD([{"params": [p], "lr": g["lr"]} for p, g in zip(params, ex.groups)])
    _set_groups(opt, ex.groups, False)
    try:
        sched = build_scheduler(ex.scheduler, opt)
        got = np.empty((len(params), n + 1))
        for k in range(n + 1):
            got[:, k] = [pg["lr"] for pg in opt.param_groups]
            if k < n:
                sched.step()
    except Exception as exc:  # OneFlow's class refuses or raises within the verified steps
        return f"OneFlow's {describe(ex.scheduler)} raises within {n + 1} steps: {type(exc).__name__}: {exc}"
    diff = first_difference(plan, "lr", got, want)
    return f"OneFlow's {describe(ex.scheduler)} {diff}" if diff else None


def oneflow_param_groups(plan, model_or_named_parameters, graph: bool = False) -> list[dict]:
    """Param-group dicts for a OneFlow optimizer: parameters by the plan's selectors, lr, weight_decay, hparams."""
    named = model_or_named_parameters
    if hasattr(named, "named_parameters"):
        named = named.named_parameters()
    params = dict(named)
    owned = assign_params(plan.groups, params)
    ex = export(plan, "graph" if graph else "eager")
    out = []
    for g, eg in zip(plan.groups, ex.groups):
        d = {"params": [params[n] for n in owned[g.name]], "lr": eg["lr"], "weight_decay": plan.group_weight_decay(g),
             **g.hparams, "name": g.name}  # to_oneflow maps named groups by name
        if graph:
            d["lr_scale"] = eg["lr_scale"]
        out.append(d)
    return out


def oneflow_optimizer(plan, model_or_named_parameters, graph: bool = False):
    """The OneFlow optimizer of the plan, every hyperparameter explicit (OneFlow's defaults differ from torch's).

    Raises UnrepresentableError where OneFlow would update differently (SGD dampening
    with momentum, RMSprop momentum).
    """
    problems = optimizer_problems(plan)
    if problems:
        CheckResult("oneflow", "graph" if graph else "eager", False, problems,
                    "the optimizer settings named, which OneFlow applies as torch does").raise_if_not_ok()  # fmt: skip
    cls, kw = optimizer_kwargs(plan)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return getattr(flow.optim, cls)(oneflow_param_groups(plan, model_or_named_parameters, graph), **kw)


def op_measure_momentum(request):
    """Worker op ``measure_momentum``: ``{"plan": ..., "steps": N}`` -> ``{"deltas": (groups, N)}``, the update
    of each group's float32 scalar under SGD + ``to_oneflow`` with gradient 1 at every step (parameter read
    and reset after every step; keep N small: OneFlow 0.9's CPU build crashes after thousands of reads).
    The main side recovers the applied momentum (``lrbridge.conformance.momentum``)."""
    plan = plan_from_dict(request["plan"])
    steps = int(request["steps"])
    params = [flow.nn.Parameter(flow.zeros(1)) for _ in plan.groups]
    momentum = float(plan.optimizer.resolved().get("momentum", 0.0)) or 0.9
    opt = flow.optim.SGD([{"params": [p]} for p in params], lr=1.0, momentum=momentum, dampening=0.0)
    return {"deltas": _updates(opt, to_oneflow(plan, opt), params, steps, start=0.0, grad=1.0)}


def op_measure_weight_decay(request):
    """Worker op ``measure_weight_decay``: ``{"plan": ..., "steps": N}`` -> ``{"deltas": (groups, N)}``, the
    update 1 − p of each group's float32 scalar (reset to 1 after every step, gradient 0) under
    ``to_oneflow``: AdamW for an adamw plan, else SGD without momentum. The main side recovers the applied
    weight decay (``lrbridge.conformance.weight_decay``)."""
    plan = plan_from_dict(request["plan"])
    steps = int(request["steps"])
    params = [flow.nn.Parameter(flow.ones(1)) for _ in plan.groups]
    groups = [{"params": [p], "weight_decay": plan.group_weight_decay(g)} for p, g in zip(params, plan.groups)]
    opt = flow.optim.AdamW(groups, lr=1.0) if plan.optimizer.name == "adamw" else flow.optim.SGD(groups, lr=1.0)
    return {"deltas": _updates(opt, to_oneflow(plan, opt), params, steps, start=1.0, grad=0.0)}


def _updates(opt, sched, params, steps: int, *, start: float, grad: float) -> list:
    """start − p after each optimizer step from p = start with a constant gradient, per group, ``sched``
    stepped after each: (groups, steps) as lists. The scalar probes of the hyperparameter measurements
    (momentum: start 0, gradient 1; weight decay: start 1, gradient 0)."""
    import numpy as np

    deltas = np.empty((len(params), steps))
    for k in range(steps):
        for p in params:
            p.grad = flow.full((1,), grad)
        opt.step()
        with flow.no_grad():
            for g, p in enumerate(params):
                deltas[g, k] = start - float(p.numpy()[0])
                p.fill_(start)
        sched.step()
    return deltas.tolist()
