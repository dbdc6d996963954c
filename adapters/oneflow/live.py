"""IR -> live OneFlow objects. Imported only inside the OneFlow interpreter (it imports oneflow).

``to_oneflow(plan, optimizer, graph=False)`` writes the plan's group lrs into the
optimizer and returns the scheduler ``export`` chose: OneFlow's own classes, or
``PlanLR``, lrbridge's closed-form ``LRScheduler`` subclass, which also writes
nn.Graph's ``LearningRateDecayConf`` itself where the C++ kernel has a conf
equal to the IR (exponential over several steps, natural-exp, inverse-time,
piecewise, tabulated, ...).
"""

from __future__ import annotations

from lrbridge.capability import CheckResult
from lrbridge.errors import BackendUnavailableError, PlanError
from lrbridge.groups import assign_params
from lrbridge.io import plan_from_dict
from lrbridge.reference import StepTable

from .capability import check
from .export import PLAN_LR, export
from .optim import optimizer_kwargs, optimizer_problems
from .runtime import load_oneflow

try:
    flow = load_oneflow()
except ImportError as exc:  # the main environment: say where OneFlow runs instead
    raise BackendUnavailableError(
        f"OneFlow is not importable here ({exc}); to_oneflow/from_oneflow run inside the OneFlow interpreter "
        "(.venv-oneflow, Python 3.10). From this environment use lrbridge.check(plan, 'oneflow', mode), "
        "'lrbridge convert --to oneflow', or the worker (lrbridge.interp.call_oneflow)"
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


class PlanLR(_LRScheduler):
    """Closed-form scheduler: group g gets the plan's lr at step k (``lrbridge.evaluate``).

    Computed in float64 by the reference evaluator (a ``StepTable``), so eager applies
    exactly the reference, horizon policy included.
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
        self._table = StepTable(unscaled if graph else plan)
        super().__init__(optimizer, last_step, verbose)

    def get_lr(self, base_lr, step):
        raise NotImplementedError("PlanLR computes every group at once in step(); it cannot be nested in a OneFlow composite")

    def step(self):
        self.last_step += 1
        self.update_lrs(self._table.row(self.last_step))

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


def to_oneflow(plan, optimizer, graph: bool = False):
    """Schedule ``optimizer`` (param groups in the plan's group order) as ``plan`` says.

    Eager (default): returns the scheduler to ``step()`` after every ``optimizer.step()``.
    ``graph=True``: returns the ``lr_sch`` for ``nn.Graph.add_optimizer(optimizer, lr_sch=...)``
    and sets each group's ``lr_scale``. Raises UnrepresentableError (the message of
    ``lrbridge.check(plan, "oneflow", mode)``) when the mode cannot express the plan.
    """
    mode = "graph" if graph else "eager"
    if len(optimizer.param_groups) != len(plan.groups):
        raise PlanError(
            "groups",
            f"the optimizer has {len(optimizer.param_groups)} param groups, the plan {len(plan.groups)} "
            f"({plan.group_names}); build it with lrbridge's oneflow_optimizer(plan, model)",
        )
    check(plan, mode, optimizer=False).raise_if_not_ok()
    ex = export(plan, mode)
    _set_groups(optimizer, ex.groups, graph)
    return build_scheduler(ex.scheduler, optimizer)


def build_oneflow_param_groups(plan, model_or_named_parameters, graph: bool = False) -> list[dict]:
    """Param-group dicts for a OneFlow optimizer: parameters by the plan's selectors, lr, weight_decay, hparams."""
    named = model_or_named_parameters
    if hasattr(named, "named_parameters"):
        named = named.named_parameters()
    params = dict(named)
    owned = assign_params(plan.groups, params)
    ex = export(plan, "graph" if graph else "eager")
    out = []
    for g, eg in zip(plan.groups, ex.groups):
        d = {"params": [params[n] for n in owned[g.name]], "lr": eg["lr"], "weight_decay": plan.group_weight_decay(g), **g.hparams}
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
    return getattr(flow.optim, cls)(build_oneflow_param_groups(plan, model_or_named_parameters, graph), **kw)
