"""Versioned JSON/YAML serialization of plans and schedules. Safe loaders only."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import LimitError, PlanError, expect_type
from .limits import MAX_DOCUMENT_BYTES, MAX_SCHEDULE_DEPTH, MAX_YAML_NODES, check_document_depth
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
    """A ``Plan`` from plain data (what ``json.loads``/``yaml.safe_load`` of a plan give)."""
    if not isinstance(data, dict):
        raise PlanError("", f"a plan must be a mapping, got {type(data).__name__}")
    version = data.get("version", SCHEMA_VERSION)
    # `true` and `1.0` equal 1 in Python; a version is an integer
    if type(version) is not int or version != SCHEMA_VERSION:
        raise PlanError("version", f"unsupported plan schema version {version!r}; this lrbridge reads version {SCHEMA_VERSION}")
    check_document_depth(data)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:  # pragma: no cover - Node.model_validate already translates
        raise plan_error(exc) from None
    except RecursionError:
        raise LimitError("scheduler", "schedules nest too deep to validate; flatten the composite") from None


def schedule_from_dict(data: Any, root: str = "scheduler"):
    try:
        return _SCHEDULE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise plan_error(exc, root) from None


def plan_to_dict(plan: Plan) -> dict:
    """The plan as plain data: version first, values equal to their defaults left out."""
    expect_type(plan, Plan, "plan_to_dict", "plan")
    return {"version": plan.version, **plan.model_dump(mode="json", exclude_defaults=True)}


def schedule_to_dict(schedule) -> dict:
    return _SCHEDULE_ADAPTER.dump_python(schedule, mode="json", exclude_defaults=True)


FORMATS = ("yaml", "json")


#: YAML 1.2 floats: PyYAML (YAML 1.1) reads `1e-4` and `1.0e10` (no dot, or no exponent sign) as strings
_FLOAT_12 = r"""^[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)$"""


@functools.lru_cache(maxsize=1)
def _yaml_loader():
    """``yaml.SafeLoader`` that also refuses duplicate keys and alias bombs (safe tags only, as safe_load)
    and reads YAML 1.2 floats such as ``1e-4`` as numbers."""
    import re

    import yaml  # imported here: `import lrbridge` stays light
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    # libyaml's parser when present (same safe constructor and resolver): a long table loads in ms, not minutes
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        def get_single_node(self):
            node = super().get_single_node()
            if node is not None:
                _check_expanded_size(node, MappingNode, SequenceNode)
            return node

        def construct_mapping(self, node, deep=False):
            # `lr: 0.1` then `lr: 5` would silently keep 5: refuse (merge keys `<<` may be overridden)
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = self.construct_object(key_node)
                    if key in seen:
                        mark = key_node.start_mark
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r} at line {mark.line + 1}, column {mark.column + 1}", None
                        )
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(_FLOAT_12), list("-+0123456789."))
    return Loader


def _check_expanded_size(root, MappingNode, SequenceNode) -> None:
    """Refuse a YAML graph standing for more than MAX_YAML_NODES nodes once aliases are expanded.

    Aliases share nodes, so ten nested aliases of ten stand for 10^10 values in 1 KB; the
    size is computed over the shared nodes, each once (memoized), never by expanding them.
    """
    size: dict[int, int] = {}
    active: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            size[id(node)] = 1
            continue
        if closing:
            active.discard(id(node))
            size[id(node)] = min(1 + sum(size[id(c)] for c in children), MAX_YAML_NODES + 1)
            if size[id(node)] > MAX_YAML_NODES:
                raise LimitError(
                    "", f"the YAML document stands for more than {MAX_YAML_NODES} values once its aliases (*name) "
                    "are expanded; write the values out or use fewer aliases",
                )
            continue
        if id(node) in size:
            continue
        if id(node) in active:
            raise LimitError("", "the YAML document contains a recursive alias (a node that contains itself)")
        active.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _unique_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_document(text: str, fmt: str = "yaml", source: str = "") -> Any:
    """Plain data from a JSON or YAML document (plans and every config dialect), safely: safe YAML
    tags only, no duplicate keys, alias expansion and nesting bounded (``lrbridge.limits``)."""
    import yaml  # imported here: `import lrbridge` stays light

    expect_type(text, str, "parse_plan", "text", "pass the document's text (load_plan reads a file)")
    if fmt not in FORMATS:
        raise PlanError("", f"unknown document format {fmt!r}; accepted: {', '.join(FORMATS)}")
    where = f" ({source})" if source else ""
    try:
        if fmt == "json":
            data = json.loads(text, object_pairs_hook=_unique_keys)
        else:
            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except LimitError as exc:
        raise type(exc)(exc.path, exc.message + where) from None
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        if "nesting depth" in str(exc):  # PyYAML's own bound on flow nesting: say ours
            raise _too_deep(where) from None
        # One line (YAML errors span several), so the CLI's "error: ..." stays one line.
        raise PlanError("", f"not valid {fmt.upper()}{where}: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise _too_deep(where) from None
    check_document_depth(data)
    return data


def _too_deep(where: str) -> LimitError:
    return LimitError("", f"the document{where} nests too deep to read; schedules may nest at most "
                      f"{MAX_SCHEDULE_DEPTH} levels (docs/limits.md)")


def parse_plan(text: str, fmt: str = "yaml") -> Plan:
    """Parse a plan document (``fmt``: yaml or json). YAML is read with safe tags only."""
    return plan_from_dict(parse_document(text, fmt))


def read_text(path, func: str = "load_plan", what: str = "plan file") -> str:
    """A document's text: UTF-8, at most MAX_DOCUMENT_BYTES; an unreadable file is a PlanError."""
    expect_type(path, (str, os.PathLike), func, "path")
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise LimitError("", f"'{path}' is larger than {MAX_DOCUMENT_BYTES >> 20} MiB, the limit for a plan or config")
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanError("", f"cannot read {what} '{path}': {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanError("", f"'{path}' is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                        "save it as UTF-8") from None


def load_plan(path) -> Plan:
    """Read a plan from a .json (JSON) or .yaml/.yml (YAML) file."""
    text = read_text(path)
    path = Path(path)
    try:
        return parse_plan(text, "json" if path.suffix == ".json" else "yaml")
    except PlanError as exc:
        raise type(exc)(exc.path, f"{exc.message} (in {path})") from None


def dumps_plan(plan: Plan, fmt: str = "yaml") -> str:
    """The plan as a YAML (default) or JSON document."""
    expect_type(plan, Plan, "dumps_plan", "plan")
    if fmt not in FORMATS:
        raise PlanError("", f"unknown document format {fmt!r}; accepted: {', '.join(FORMATS)}")
    data = plan_to_dict(plan)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: same output, fast
    text = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True)
    # PyYAML writes some characters (U+0085, U+2028, ...) raw although YAML reads them as
    # line breaks; escape everything non-ASCII when the readable form would not read back.
    if yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) != data:  # noqa: S506 - safe loaders
        text = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=False)
    return text


def save_plan(plan: Plan, path) -> None:
    """Write the plan to ``path``: JSON for .json, YAML otherwise."""
    expect_type(path, (str, os.PathLike), "save_plan", "path")
    path = Path(path)
    path.write_text(dumps_plan(plan, "json" if path.suffix == ".json" else "yaml"))
