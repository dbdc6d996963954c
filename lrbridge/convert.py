"""Sources and targets: read anything lrbridge reads into a plan, and write a plan for a backend.

A SOURCE is a plan (YAML/JSON: ``version``, ``optimizer.name``, ``scheduler.kind``) or a
config in one of the dialects of ``lrbridge.dialects`` (timm, transformers, mmengine, ...,
and those the backends contribute, e.g. the PyTorch config of ``lrbridge_torch``), named
by ``dialect`` or detected from its content. Python config files are parsed, never run.
``path/to/file.py:function`` (or ``package.module:function``) names a function returning live
objects (``lrbridge.entry``): the one source that runs user code, because the user named it.
A target is any registered backend with a ``render`` (``lrbridge.backends``).
"""

from __future__ import annotations

from pathlib import Path

from .errors import PlanError
from .plan import ImportResult, resolve_steps


def read_document(path: Path):
    """The parsed content of a JSON, YAML or Python config file (Python is parsed, never executed)."""
    if path.suffix == ".py":
        from .dialects.pyconfig import read_pyconfig

        return read_pyconfig(path)
    from .io import parse_document, read_text

    text = read_text(path, "load_source")
    try:
        return parse_document(text, "json" if path.suffix == ".json" else "yaml")
    except PlanError as exc:
        raise type(exc)(exc.path, f"{exc.message} (in {path})") from None


def is_plan(data) -> bool:
    """A plan document names its optimizer with ``name`` (dialects use their own keys)."""
    return isinstance(data, dict) and ("version" in data or isinstance(data.get("optimizer"), dict) and "name" in data["optimizer"])


def load_source(path, *, dialect: str | None = None, steps: int | None = None,
                steps_per_epoch: int | None = None) -> ImportResult:
    """The plan in SOURCE, with notes saying which dialect read it and what was recognised.

    ``steps``: optimizer updates (the horizon where the source gives none); ``steps_per_epoch``:
    updates per epoch, for sources that count in epochs.
    """
    from . import dialects
    from .entry import import_entry, is_entry_point
    from .io import plan_from_dict

    if is_entry_point(path):
        return import_entry(str(path), steps=steps, steps_per_epoch=steps_per_epoch)
    path = Path(path)
    data = read_document(path)
    if dialect in (None, "plan") and (dialect == "plan" or is_plan(data)):
        try:
            plan = plan_from_dict(data)
        except PlanError as exc:
            raise PlanError(exc.path, f"{exc.message} (in {path})") from None
        return ImportResult(plan, True, [])
    module = dialects.get(dialect) if dialect else dialects.detect(data)
    if module is None:
        raise PlanError("", f"'{path}' is neither a plan nor a config of a known dialect "
                        f"({', '.join(['plan', *dialects.names()])}); name one with from")
    result = module.to_plan(data, steps=steps, steps_per_epoch=steps_per_epoch, source=str(path))
    notes = ([] if dialect else [f"read as a {module.NAME} config (detected)"]) + list(result.notes)
    return ImportResult(result.plan, result.exact, notes)


#: ``render(to=PLAN_TARGET)``: the canonical plan itself (what a config, live object or trace was read as)
PLAN_TARGET = "plan"


def render_plan(plan, steps: int | None = None, fmt: str = "yaml") -> str:
    """The plan as a versioned YAML/JSON document; ``steps`` becomes its horizon where it has none."""
    from .io import FORMATS, dumps_plan
    from .plan import Horizon

    if fmt not in FORMATS:
        raise PlanError("format", f"unknown format '{fmt}' for plan; accepted: {', '.join(FORMATS)}")
    if steps is not None and plan.horizon.steps is None:
        plan = plan.model_copy(update={"horizon": Horizon(steps=steps, past=plan.horizon.past)})
    return dumps_plan(plan, fmt)


def render(plan, *, to: str, steps: int | None = None, fmt: str = "json") -> str | bytes:
    """``plan`` for backend ``to`` in format ``fmt``: text (json, python) or bytes (npy); ``to="plan"``
    writes the canonical plan document (yaml or json)."""
    from .backends import backend_names, get_backend, resolve

    if to == PLAN_TARGET:
        return render_plan(plan, steps, fmt)
    if to not in backend_names():
        targets = [b for b in backend_names() if get_backend(b).render] + [PLAN_TARGET]
        raise PlanError("to", f"unknown target '{to}'; accepted: {', '.join(targets)}")
    spec = get_backend(to)
    if spec.render is None:
        raise PlanError("to", f"backend '{to}' writes no code or tables")
    if fmt not in spec.formats:
        raise PlanError("format", f"unknown format '{fmt}' for {to}; accepted: {', '.join(spec.formats)}")
    n = resolve_steps(plan, steps)
    if fmt in ("json", "npy"):  # tables of every group's lr at every step: bounded before they are built
        from .limits import check_allocation

        check_allocation(len(plan.groups), n, 8 if fmt == "npy" else 32, f"writing {fmt} lr tables of")
    return resolve(spec.render)(plan, n, fmt)


def convert(source, *, to: str, steps: int | None = None, fmt: str = "json", dialect: str | None = None,
            steps_per_epoch: int | None = None) -> str | bytes:
    """Convert SOURCE for backend ``to`` in format ``fmt`` (``load_source`` then ``render``)."""
    result = load_source(source, dialect=dialect, steps=steps, steps_per_epoch=steps_per_epoch)
    return render(result.plan, to=to, steps=steps, fmt=fmt)
