"""The restricted expression/statement evaluator of the Python-config reader: one file's AST, never run.

``_Reader`` walks the statements of one parsed config and evaluates the small, side-effect-free
subset of Python described in :mod:`.pyconfig`; imports are recorded as ``Ref`` (or followed through
the loader when they name a config file), anything else is one ``PlanError`` naming ``file:line``.
"""

from __future__ import annotations

import ast
import operator
import re
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PlanError
from .pyconfig_values import (
    MAX_DEPTH, MAX_INT_BITS, MAX_LOOP_STATEMENTS, MAX_SEQ_LEN, Ref, Unresolved, _copy, _fail, _LazyCallable,
    target_name,
)

if TYPE_CHECKING:  # only for the annotation: the loader imports this module
    from .pyconfig_base import _Loader


_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_PURE_BUILTINS = {
    "dict": dict, "list": list, "tuple": tuple, "int": int, "float": float, "str": str, "bool": bool,
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round,
    "range": lambda *a: list(range(*a)) if len(range(*a)) <= MAX_SEQ_LEN else [None] * (MAX_SEQ_LEN + 1),
}
_DICT_METHODS = ("get", "copy", "update", "pop", "keys", "values", "items")
_STR_METHODS = ("format", "join", "replace", "lower", "upper", "strip", "split", "startswith", "endswith")
#: calls that only wrap their data (LiBai and detectron2 configs end with ``train = DictConfig(train)``)
_DATA_WRAPPERS = ("DictConfig", "ListConfig", "create")


class _Reader:
    """Evaluates one config file (and, through imports, its bases) in a fresh namespace."""

    def __init__(self, path: Path, loader: "_Loader"):
        self.path = path
        self.loader = loader
        self.ns: dict[str, Any] = {}
        self.depth = 0
        self.in_read_base = False
        self.loop_budget = MAX_LOOP_STATEMENTS
        self.base_data: dict | None = None

    # -- helpers ---------------------------------------------------------------------------
    def where(self, node) -> str:
        return f"{self.path}:{getattr(node, 'lineno', '?')}"

    def fail(self, node, what: str) -> PlanError:
        return _fail(self.where(node), what)

    def bounded(self, node, value):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise self.fail(node, f"an integer of {value.bit_length()} bits")
        if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_SEQ_LEN:
            raise self.fail(node, f"a value of {len(value)} items")
        return value

    # -- statements ------------------------------------------------------------------------
    def run(self, tree: ast.Module):
        for stmt in tree.body:
            self.stmt(stmt)
        return self.ns

    def stmt(self, node):
        if isinstance(node, ast.Assign):
            value = self.expr(node.value)
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.expr(node.value))
        elif isinstance(node, ast.AugAssign):
            current = self.expr(_load(node.target))
            self.assign(node.target, self.binop(node, node.op, current, self.expr(node.value)))
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return  # docstring
            call = node.value.elt if isinstance(node.value, ast.ListComp) else node.value
            if isinstance(call, ast.Call) and _is_method(call, ("update", "pop")):
                self.expr(node.value)  # d.update(...), d.pop(k), [d.pop(k) for k in [...]]
                return
            raise self.fail(node, "an expression statement")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.import_(node)
        elif isinstance(node, ast.With):
            self.with_(node)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if not isinstance(target, ast.Name) or target.id not in self.ns:
                    raise self.fail(node, "'del' of anything but a bound name")
                del self.ns[target.id]
        elif isinstance(node, ast.For):
            self.for_(node)
        elif isinstance(node, ast.Pass):
            return
        else:
            raise self.fail(node, f"a '{_construct(node)}' statement")

    def for_(self, node: ast.For):
        """``for x in <list>: <assignments>`` (LiBai refines every dataset of a list this way)."""
        if node.orelse or isinstance(node, ast.AsyncFor):
            raise self.fail(node, "a 'for ... else' loop")
        items = self.expr(node.iter)
        if isinstance(items, (Ref, Unresolved)):
            raise self.fail(node, f"a loop over a value that is not known here ({self.opaque(node, items).why})")
        if isinstance(items, dict):
            items = list(items)
        if not isinstance(items, (list, tuple)):
            raise self.fail(node, f"a loop over a {type(items).__name__}")
        for item in items:
            self.loop_budget -= len(node.body)
            if self.loop_budget < 0:
                raise self.fail(node, f"loops running more than {MAX_LOOP_STATEMENTS} statements")
            self.assign(node.target, item)
            for stmt in node.body:
                if isinstance(stmt, (ast.Break, ast.Continue)):
                    raise self.fail(stmt, f"'{_construct(stmt).lower()}'")
                self.stmt(stmt)

    def with_(self, node: ast.With):
        # mmengine new-style configs: ``with read_base(): from .._base_.x import *``
        if len(node.items) != 1 or node.items[0].optional_vars is not None:
            raise self.fail(node, "a 'with' block other than 'with read_base():'")
        call = node.items[0].context_expr
        fn = self.expr(call.func) if isinstance(call, ast.Call) else None
        if not (isinstance(fn, Ref) and fn.name == "read_base") or call.args or call.keywords:
            raise self.fail(node, "a 'with' block other than 'with read_base():'")
        self.in_read_base = True
        try:
            for stmt in node.body:
                if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    raise self.fail(stmt, "anything but imports inside 'with read_base():'")
                self.import_(stmt)
        finally:
            self.in_read_base = False

    def import_(self, node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.ns[alias.asname] = Ref(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    self.ns[top] = Ref(top)
            return
        module = node.module or ""
        base_file = self.loader.resolve_module(self.path, node.level, module)
        if base_file is None and (node.level or self.in_read_base):
            if self.in_read_base:
                raise self.fail(node, f"a base config '{'.' * node.level}{module}' that is not a file next to this one")
            for alias in node.names:
                self.ns[alias.asname or alias.name] = Unresolved(
                    f"{self.where(node)}: '{'.' * node.level}{module}' is not a config file found on disk")
            return
        if base_file is None:
            for alias in node.names:
                if alias.name == "*":
                    raise self.fail(node, f"'from {module} import *' of a Python module")
                self.ns[alias.asname or alias.name] = Ref(f"{module}.{alias.name}" if module else alias.name)
            return
        names = self.loader.load(base_file, node)
        for alias in node.names:
            if alias.name == "*":
                self.ns.update({k: v for k, v in names.items() if not k.startswith("_")})
            elif alias.name in names:
                self.ns[alias.asname or alias.name] = names[alias.name]
            else:
                raise self.fail(node, f"'{alias.name}', which {base_file} does not define")

    def assign(self, target, value):
        if isinstance(target, ast.Name):
            _check_name(self, target, target.id)
            if target.id == "_base_" and self.base_data is not None:
                value = self.base_data  # mmengine: `_base_.x` in the child reads the merged bases
            self.ns[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (list, tuple)) or len(value) != len(target.elts):
                raise self.fail(target, "an unpacking assignment whose sizes differ")
            for t, v in zip(target.elts, value):
                self.assign(t, v)
        elif isinstance(target, ast.Attribute):
            obj = self.expr(target.value)
            _check_name(self, target, target.attr)
            if isinstance(obj, Unresolved):
                return  # refining a base that was not found: it stays unresolved
            if not isinstance(obj, dict):
                raise self.fail(target, f"setting attribute '{target.attr}' on a {type(obj).__name__}")
            obj[target.attr] = value
        elif isinstance(target, ast.Subscript):
            obj = self.expr(target.value)
            key = self.expr(target.slice)
            if isinstance(obj, Unresolved):
                return
            if isinstance(obj, dict) and isinstance(key, (str, int, float, bool, tuple)):
                obj[key] = value
            elif isinstance(obj, list) and isinstance(key, int) and not isinstance(key, bool):
                try:
                    obj[key] = value
                except IndexError:
                    raise self.fail(target, f"index {key} out of range") from None
            else:
                raise self.fail(target, f"item assignment on a {type(obj).__name__}")
        else:
            raise self.fail(target, f"assignment to a {_construct(target)}")

    # -- expressions -----------------------------------------------------------------------
    def expr(self, node):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return self.bounded(node, self._expr(node))
        finally:
            self.depth -= 1

    def _expr(self, node):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, str, bool, type(None))):
                return node.value
            raise self.fail(node, f"a {type(node.value).__name__} literal")
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    items.extend(self.iterable(elt, self.expr(elt.value)))
                else:
                    items.append(self.expr(elt))
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values):
                if k is None:  # {**other}
                    other = self.expr(v)
                    if not isinstance(other, dict):
                        raise self.fail(node, "'**' of something that is not a dict")
                    out.update(other)
                else:
                    key = self.expr(k)
                    if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                        raise self.fail(k, f"a dict key of type {type(key).__name__}")
                    out[key] = self.expr(v)
            return out
        if isinstance(node, ast.BinOp):
            return self.binop(node, node.op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.UnaryOp):
            value = self.expr(node.operand)
            if isinstance(node.op, ast.Not):
                return not value
            if isinstance(node.op, (ast.USub, ast.UAdd)) and _is_number(value):
                return -value if isinstance(node.op, ast.USub) else +value
            raise self.fail(node, f"'{_construct(node.op)}' on a {type(value).__name__}")
        if isinstance(node, ast.BoolOp):
            result = None
            for v in node.values:
                result = self.expr(v)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.expr(node.left)
            for op, comp in zip(node.ops, node.comparators):
                right = self.expr(comp)
                hidden = self.opaque(node, left, right)
                if hidden is not None:
                    return hidden
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test)
            if isinstance(test, Unresolved):
                return test
            return self.expr(node.body) if test else self.expr(node.orelse)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
            return self.comprehension(node)
        if isinstance(node, ast.Lambda):  # model parts hold callables: code, recorded, never run
            return Unresolved(f"{self.where(node)}: a lambda (code, not read)")
        if isinstance(node, ast.JoinedStr):
            parts = [self.fstring_part(v) for v in node.values]
            return next((p for p in parts if isinstance(p, Unresolved)), None) or "".join(parts)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Set):
            raise self.fail(node, "a set literal (an mmengine '{{_base_.x}}' placeholder must be the whole value)")
        raise self.fail(node, f"a '{_construct(node)}' expression")

    def comprehension(self, node):
        """``[e for x in xs if c]`` (also generator and dict forms) over a list, tuple or dict's keys.

        One ``for`` clause with plain names; the names are bound only while it runs.
        """
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise self.fail(node, "a comprehension with more than one 'for'")
        gen = node.generators[0]
        targets = gen.target.elts if isinstance(gen.target, ast.Tuple) else [gen.target]
        if not all(isinstance(t, ast.Name) for t in targets):
            raise self.fail(node, "a comprehension target that is not a plain name")
        items = self.expr(gen.iter)
        if isinstance(items, (Ref, Unresolved)):
            return self.opaque(node, items)
        if isinstance(items, dict):
            items = list(items)
        if not isinstance(items, (list, tuple)):
            raise self.fail(node, f"a comprehension over a {type(items).__name__}")
        saved = {t.id: self.ns[t.id] for t in targets if t.id in self.ns}
        out = {} if isinstance(node, ast.DictComp) else []
        try:
            for item in items:
                self.assign(gen.target, item)
                conds = [self.expr(c) for c in gen.ifs]
                if any(isinstance(c, Unresolved) for c in conds):
                    return next(c for c in conds if isinstance(c, Unresolved))
                if not all(conds):
                    continue
                if isinstance(out, dict):
                    out[self.expr(node.key)] = self.expr(node.value)
                else:
                    out.append(self.expr(node.elt))
        finally:
            for t in targets:
                self.ns.pop(t.id, None)
            self.ns.update(saved)
        return out

    def fstring_part(self, node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.FormattedValue):
            value = self.expr(node.value)
            hidden = self.opaque(node, value)
            if hidden is not None:
                return hidden
            spec = "".join(self.fstring_part(v) for v in node.format_spec.values) if node.format_spec else ""
            if node.conversion not in (-1, ord("s"), ord("r")) or len(spec) > 20:
                raise self.fail(node, "an f-string conversion or format spec")
            value = repr(value) if node.conversion == ord("r") else value
            try:
                return format(value, spec)
            except (ValueError, TypeError) as exc:
                raise self.fail(node, f"an f-string format spec that fails ({exc})") from None
        raise self.fail(node, "an f-string part")

    def name(self, node: ast.Name):
        _check_name(self, node, node.id)
        if node.id in self.ns:
            return self.ns[node.id]
        if node.id in _PURE_BUILTINS:
            return _PURE_BUILTINS[node.id]
        raise self.fail(node, f"the name '{node.id}', which is not defined earlier in the file")

    def iterable(self, node, value):
        if isinstance(value, (list, tuple)):
            return list(value)
        raise self.fail(node, f"unpacking a {type(value).__name__}")

    def opaque_top(self, node, *values) -> Unresolved | None:
        """Like :meth:`opaque` for the values themselves, not what they contain."""
        return self.opaque(node, *[v for v in values if isinstance(v, (Ref, Unresolved, _LazyCallable))])

    def opaque(self, node, *values) -> Unresolved | None:
        """An Unresolved standing for a value computed from imports or unresolved bases, else None.

        Python objects the config imports (``IMAGENET_DEFAULT_MEAN``) have no value here: what
        is computed from them is unknown, which only matters if a dialect needs it.
        """
        for v in _leaves(values):
            if isinstance(v, (Ref, Unresolved, _LazyCallable)):
                why = v.why if isinstance(v, Unresolved) else f"{self.where(node)}: computed from the import {v}"
                return Unresolved(why)
        return None

    def binop(self, node, op, left, right):
        fn = _BINOPS.get(type(op))
        if fn is None:
            raise self.fail(node, f"the operator '{_construct(op)}'")
        hidden = self.opaque(node, left, right)
        if hidden is not None:
            return hidden
        numbers = _is_number(left) and _is_number(right)
        if not numbers:
            seq_ok = (
                (type(op) is ast.Add and type(left) is type(right) and isinstance(left, (str, list, tuple)))
                or (type(op) is ast.Mult and _seq_times_int(left, right))
            )
            if not seq_ok:
                raise self.fail(node, f"'{_construct(op)}' between {type(left).__name__} and {type(right).__name__}")
            if type(op) is ast.Mult:
                seq, times = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
                if len(seq) * max(times, 0) > MAX_SEQ_LEN:
                    raise self.fail(node, f"a value of {len(seq) * times} items")
        if type(op) is ast.Pow and numbers:
            if isinstance(right, int) and abs(right) > 1024 and abs(left) not in (0, 1):
                raise self.fail(node, f"a power with exponent {right}")
            if isinstance(left, int) and isinstance(right, int) and right > 0 and left.bit_length() * right > MAX_INT_BITS:
                raise self.fail(node, "an integer power that large")
        if numbers and type(op) is ast.Mult and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise self.fail(node, "an integer product that large")
        try:
            return fn(left, right)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
            raise self.fail(node, f"arithmetic that fails ({exc})") from None

    def attribute(self, node: ast.Attribute):
        return self.attribute_of(node, self.expr(node.value))

    def attribute_of(self, node: ast.Attribute, obj):
        _check_name(self, node, node.attr)
        if isinstance(obj, Ref):
            return Ref(f"{obj.dotted}.{node.attr}")
        if isinstance(obj, Unresolved):
            return obj
        if isinstance(obj, dict):
            if node.attr in obj:
                return obj[node.attr]
            raise self.fail(node, f"the key '{node.attr}', which this dict does not have")
        raise self.fail(node, f"attribute '{node.attr}' of a {type(obj).__name__}")

    def subscript(self, node: ast.Subscript):
        obj = self.expr(node.value)
        if isinstance(obj, Unresolved):
            return obj
        if isinstance(node.slice, ast.Slice):
            parts = [self.expr(p) if p is not None else None for p in (node.slice.lower, node.slice.upper, node.slice.step)]
            if not isinstance(obj, (list, tuple, str)) or not all(p is None or isinstance(p, int) for p in parts):
                raise self.fail(node, "a slice of that")
            return obj[slice(*parts)]
        key = self.expr(node.slice)
        try:
            if isinstance(obj, dict) or (isinstance(obj, (list, tuple, str)) and isinstance(key, int)):
                return obj[key]
        except (KeyError, IndexError):
            raise self.fail(node, f"the item {key!r}, which is missing") from None
        raise self.fail(node, f"indexing a {type(obj).__name__}")

    def call(self, node: ast.Call):
        if isinstance(node.func, ast.Attribute):
            obj = self.expr(node.func.value)
            if isinstance(obj, dict) and node.func.attr in _DICT_METHODS:
                return self.dict_method(node, obj, node.func.attr)
            if isinstance(obj, str) and node.func.attr in _STR_METHODS:
                return self.str_method(node, obj, node.func.attr)
            fn = self.attribute_of(node.func, obj)
        else:
            fn = self.expr(node.func)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args.extend(self.iterable(a, self.expr(a.value)))
            else:
                args.append(self.expr(a))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                extra = self.expr(kw.value)
                if not isinstance(extra, dict):
                    raise self.fail(node, "'**' of something that is not a dict")
                kwargs.update(extra)
            else:
                kwargs[kw.arg] = self.expr(kw.value)
        if isinstance(fn, _LazyCallable):
            if args:
                raise self.fail(node, "positional arguments to a LazyCall (give keywords)")
            return {"_target_": fn.target, **kwargs}
        if isinstance(fn, Ref):
            return self.ref_call(node, fn, args, kwargs)
        if isinstance(fn, Unresolved):
            return fn
        if any(fn is f for f in _PURE_BUILTINS.values()):
            # dict(a=Ref) only holds the reference; list(Ref), len(Ref), int(Ref) would need its value
            holds = fn in (dict, list, tuple)
            hidden = self.opaque_top(node, *args) if holds else self.opaque(node, args, kwargs)
            if hidden is not None:
                return hidden
            try:
                return fn(*args, **kwargs)
            except (TypeError, ValueError, OverflowError) as exc:
                raise self.fail(node, f"a call that fails ({exc})") from None
        raise self.fail(node, f"calling a {type(fn).__name__}")

    def ref_call(self, node, fn: Ref, args, kwargs):
        if fn.name in ("LazyCall", "L"):
            if len(args) != 1 or kwargs:
                raise self.fail(node, "LazyCall with anything but one target")
            target = target_name(args[0])
            if target is None:
                raise self.fail(node, f"LazyCall of a {type(args[0]).__name__}")
            return _LazyCallable(target)
        if fn.name == "get_config" and args and isinstance(args[0], str):
            found = self.loader.find_model_zoo(self.path, args[0])
            if found is None:
                return Unresolved(f"{self.where(node)}: model_zoo config '{args[0]}' not found above this file")
            return dict(self.loader.load(found, node))
        if fn.name in _DATA_WRAPPERS and len(args) == 1 and not kwargs and isinstance(args[0], (dict, list)):
            return args[0]  # omegaconf DictConfig(x) / OmegaConf.create(x): the same data
        if fn.dotted in ("copy.deepcopy", "copy.copy") and len(args) == 1 and not kwargs:
            return _copy(args[0])
        call = {"_target_": fn.dotted}
        if args:
            call["_args_"] = list(args)
        call.update(kwargs)
        return call

    def str_method(self, node, obj: str, method: str):
        """A few pure str methods; ``format`` only with plain fields (``{0.__class__}`` would reach objects)."""
        args = [self.expr(a) for a in node.args if not isinstance(a, ast.Starred)]
        kwargs = {kw.arg: self.expr(kw.value) for kw in node.keywords if kw.arg is not None}
        if len(args) != len(node.args) or len(kwargs) != len(node.keywords):
            raise self.fail(node, f"'*'/'**' arguments to str.{method}")
        hidden = self.opaque(node, args, kwargs)
        if hidden is not None:
            return hidden
        if method == "format":
            for _, field, spec, conv in string.Formatter().parse(obj):
                if field is not None and (not re.fullmatch(r"\w*", field) or (spec and not re.fullmatch(r"[\w.<>^=+ ,%-]*", spec))):
                    raise self.fail(node, f"a format field {field!r} that is not a plain name or index")
        elif any(not isinstance(a, (str, int, list, tuple)) for a in args):
            raise self.fail(node, f"str.{method} with these arguments")
        try:
            return getattr(obj, method)(*args, **kwargs)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise self.fail(node, f"str.{method} that fails ({exc})") from None

    def dict_method(self, node, obj: dict, method: str):
        args = [self.expr(a) for a in node.args if not isinstance(a, ast.Starred)]
        if len(args) != len(node.args):
            raise self.fail(node, f"'*' arguments to dict.{method}")
        kwargs = {kw.arg: self.expr(kw.value) for kw in node.keywords if kw.arg is not None}
        if len(kwargs) != len(node.keywords):
            raise self.fail(node, f"'**' arguments to dict.{method}")
        if method == "get" and 1 <= len(args) <= 2 and not kwargs:
            return obj.get(*args)
        if method == "copy" and not args and not kwargs:
            return dict(obj)
        if method == "update" and len(args) <= 1:
            if args and not isinstance(args[0], dict):
                raise self.fail(node, "dict.update with something that is not a dict")
            obj.update(*args, **kwargs)
            return None
        if method == "pop" and 1 <= len(args) <= 2 and not kwargs:
            if len(args) == 1 and args[0] not in obj:
                raise self.fail(node, f"dict.pop of the missing key {args[0]!r}")
            return obj.pop(*args)
        if method in ("keys", "values", "items") and not args and not kwargs:
            return list(getattr(obj, method)())
        raise self.fail(node, f"dict.{method} with these arguments")


def _load(target):
    """A store target as the equivalent load expression (for ``x += 1``)."""
    node = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(node, target)


def _is_method(call: ast.Call, names) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in names


def _is_number(v) -> bool:
    return isinstance(v, (int, float))


def _seq_times_int(a, b) -> bool:
    return (isinstance(a, (str, list, tuple)) and isinstance(b, int) and not isinstance(b, bool)) or (
        isinstance(b, (str, list, tuple)) and isinstance(a, int) and not isinstance(a, bool))


def _leaves(value):
    """Every value nested in lists, tuples and dicts (and the values themselves)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        else:
            yield v


def _check_name(reader, node, name: str):
    if name.startswith("__") and name.endswith("__") or name.startswith("_lrbridge") and name not in reader.ns:
        raise reader.fail(node, f"the dunder name '{name}'")


def _construct(node) -> str:
    return type(node).__name__
