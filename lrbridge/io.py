"""Versioned JSON/YAML serialization of plans and schedules. Safe loaders only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import PlanError
from .plan import SCHEMA_VERSION, Plan
from .schedules import SCHEDULE_KINDS, Schedule

_SCHEDULE_ADAPTER = TypeAdapter(Schedule)


def _field_path(loc) -> str:
    """('scheduler', 'sequential', 'stages', 1, 'multistep', 'milestones') -> 'scheduler.stages[1].milestones'.

    pydantic puts the union tag (the schedule kind) in the location; users never
    write it, so it is dropped. So are validator wrappers such as 'function-after[...]'.
    """
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        elif item in SCHEDULE_KINDS or "[" in str(item):
            continue
        else:
            out += ("." if out else "") + str(item)
    return out


def _message(err: dict) -> str:
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if err["type"] in ("missing",):
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field (check the spelling; see docs/plan-format.md)"
    if err["type"] == "union_tag_not_found":
        return f"a schedule needs a 'kind' field naming it; accepted kinds: {', '.join(SCHEDULE_KINDS)}"
    if err["type"] == "union_tag_invalid":
        return f"unknown schedule kind {err['ctx']['tag']!r}; accepted kinds: {', '.join(SCHEDULE_KINDS)}"
    if err["type"] not in ("value_error", "assertion_error") and "input" in err and not isinstance(err["input"], (dict, list)):
        msg += f", got {err['input']!r}"
    return msg


def plan_error(exc: ValidationError, root: str = "") -> PlanError:
    """Turn pydantic's report into one PlanError naming the first bad field (and how many more)."""
    errors = exc.errors()
    first = errors[0]
    path = _field_path(((root,) if root else ()) + tuple(first["loc"]))
    text = _message(first)
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return PlanError(path, text)


def plan_from_dict(data: Any) -> Plan:
    if not isinstance(data, dict):
        raise PlanError("", f"a plan must be a mapping, got {type(data).__name__}")
    version = data.get("version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise PlanError("version", f"unsupported plan schema version {version!r}; this lrbridge reads version {SCHEMA_VERSION}")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise plan_error(exc) from None


def schedule_from_dict(data: Any, root: str = "scheduler"):
    try:
        return _SCHEDULE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise plan_error(exc, root) from None


def plan_to_dict(plan: Plan) -> dict:
    """The plan as plain data: version first, values equal to their defaults left out."""
    return {"version": plan.version, **plan.model_dump(mode="json", exclude_defaults=True)}


def schedule_to_dict(schedule) -> dict:
    return _SCHEDULE_ADAPTER.dump_python(schedule, mode="json", exclude_defaults=True)


def parse_plan(text: str, fmt: str = "yaml") -> Plan:
    """Parse a plan document. YAML is a superset of JSON, read with ``yaml.safe_load``."""
    import yaml  # imported here: `import lrbridge` stays light

    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        # One line (YAML errors span several), so the CLI's "error: ..." stays one line.
        raise PlanError("", f"not valid {fmt.upper()}: {' '.join(str(exc).split())}") from None
    return plan_from_dict(data)


def load_plan(path) -> Plan:
    """Read a plan from a .json, .yaml or .yml file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError("", f"cannot read plan file '{path}': {exc.strerror}") from None
    try:
        return parse_plan(text, "json" if path.suffix == ".json" else "yaml")
    except PlanError as exc:
        raise PlanError(exc.path, f"{exc.message} (in {path})") from None


def dumps_plan(plan: Plan, fmt: str = "yaml") -> str:
    data = plan_to_dict(plan)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    import yaml

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    # PyYAML writes some characters (U+0085, U+2028, ...) raw although YAML reads them as
    # line breaks; escape everything non-ASCII when the readable form would not read back.
    if yaml.safe_load(text) != data:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return text


def save_plan(plan: Plan, path) -> None:
    path = Path(path)
    path.write_text(dumps_plan(plan, "json" if path.suffix == ".json" else "yaml"))
