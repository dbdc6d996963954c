"""A read-only model of one Python file for the lint rules: parsed with ``ast``, never executed.

What the rules need from a training script is small: which framework a call
belongs to (through the file's imports and aliases), what a variable was
assigned (to follow ``sched = SequentialLR(...)`` into ``sched.step()``), the
value of simple integer expressions (``EPOCHS * 100``), and the loops around a
call (once per batch or once per epoch).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .findings import LintInputError

FRAMEWORKS = ("torch", "oneflow", "mindspore")

#: how deep names are followed through assignments (a = b; b = c; ...)
_DEPTH = 6


def dotted(expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


@dataclass
class Call:
    """A call in the file: ``qualname`` resolved through the imports (``torch.optim.lr_scheduler.StepLR``)."""

    node: ast.Call
    qualname: str
    framework: str | None
    loops: tuple  # enclosing For/While nodes, outermost first (within the enclosing function)

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def line(self) -> int:
        return self.node.lineno

    def arg(self, keyword: str, position: int | None = None):
        """The argument passed as ``keyword=`` or at ``position``, else None."""
        for kw in self.node.keywords:
            if kw.arg == keyword:
                return kw.value
        args = self.node.args
        if position is not None and position < len(args) and not any(isinstance(a, ast.Starred) for a in args[: position + 1]):
            return args[position]
        return None

    def has_kwarg(self, keyword: str) -> bool:
        return any(kw.arg == keyword for kw in self.node.keywords)


class SourceModel:
    """Imports, assignments, calls and loops of one parsed file."""

    def __init__(self, text: str, filename: str = "<string>"):
        try:
            self.tree = ast.parse(text, filename)
        except SyntaxError as exc:
            raise LintInputError(f"{filename}:{exc.lineno}: not valid Python ({exc.msg}); lint reads source, fix the syntax first") from None
        self.filename = filename
        self.aliases: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.assignments: dict[str, list[tuple[int, ast.expr]]] = {}
        self.appends: dict[str, list[ast.expr]] = {}
        self.parents: dict[int, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent
        self._collect()
        self.calls: list[Call] = [self._call(n) for n in ast.walk(self.tree) if isinstance(n, ast.Call)]
        self.calls.sort(key=lambda c: (c.node.lineno, c.node.col_offset))

    # ------------------------------------------------------------ collection

    def _collect(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:  # import torch.optim binds "torch"
                        head = a.name.split(".")[0]
                        self.aliases[head] = head
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name == "*":
                        self.star_modules.append(node.module)
                    else:
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    key = dotted(t)
                    if key:
                        self.assignments.setdefault(key, []).append((node.lineno, node.value))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend"):
                key = dotted(node.func.value)
                if key and node.args:
                    self.appends.setdefault(key, []).append(node.args[0] if node.func.attr == "append" else ast.Starred(node.args[0]))

    @property
    def frameworks(self) -> set[str]:
        """Frameworks the file imports."""
        heads = {v.split(".")[0] for v in self.aliases.values()} | {m.split(".")[0] for m in self.star_modules}
        return heads & set(FRAMEWORKS)

    def qualify(self, name: str) -> str:
        """Resolve a dotted name's head through the imports (``flow.optim.SGD`` -> ``oneflow.optim.SGD``)."""
        head, _, rest = name.partition(".")
        if head in self.aliases:
            full = self.aliases[head]
            return f"{full}.{rest}" if rest else full
        if len(self.star_modules) == 1 and head not in self.assignments:
            return f"{self.star_modules[0]}.{name}"
        return name

    def framework_of(self, qualname: str) -> str | None:
        head = qualname.split(".")[0]
        if head in FRAMEWORKS:
            return head
        if "." not in qualname and len(self.frameworks) == 1:  # a bare name in a one-framework file
            return next(iter(self.frameworks))
        return None

    def enclosing(self, node, kinds) -> list:
        """Ancestors of ``node`` of the given ast types, innermost first, stopping at the enclosing def/class."""
        out = []
        cur = self.parents.get(id(node))
        while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if isinstance(cur, kinds):
                out.append(cur)
            cur = self.parents.get(id(cur))
        return out

    def _call(self, node: ast.Call) -> Call:
        name = dotted(node.func)
        if name is None:
            qual = ""
        elif isinstance(node.func, ast.Attribute) and dotted(node.func.value) in self.assignments \
                and name.partition(".")[0] not in self.aliases:
            qual = name  # a method on a variable: sched.step
        else:
            qual = self.qualify(name)
        loops = tuple(reversed(self.enclosing(node, (ast.For, ast.While, ast.AsyncFor))))
        return Call(node, qual, self.framework_of(qual) if qual else None, loops)

    # ------------------------------------------------------------ queries

    def calls_named(self, *names: str, framework: str | None = None) -> list[Call]:
        """Calls whose last name component is one of ``names`` (and of ``framework`` when given)."""
        return [c for c in self.calls if c.name in names and (framework is None or c.framework == framework)]

    def call_of(self, node) -> Call | None:
        for c in self.calls:
            if c.node is node:
                return c
        return None

    def value(self, expr, depth: int = _DEPTH):
        """Follow a variable to the expression last assigned to it (the expression itself otherwise)."""
        while depth and expr is not None:
            key = dotted(expr)
            if key is None or key not in self.assignments:
                return expr
            line = getattr(expr, "lineno", None)
            assigned = self.assignments[key]
            before = [v for ln, v in assigned if line is None or ln <= line]
            nxt = before[-1] if before else assigned[-1][1]
            if nxt is expr:
                return expr
            expr = nxt
            depth -= 1
        return expr

    def resolved_call(self, expr) -> Call | None:
        """The call a (possibly named) expression stands for."""
        v = self.value(expr)
        return self.call_of(v) if isinstance(v, ast.Call) else None

    def const(self, expr, depth: int = _DEPTH):
        """Numeric value of a constant expression (names followed, + - * / // ** folded), else None."""
        if expr is None or depth == 0:
            return None
        expr = self.value(expr)
        if isinstance(expr, ast.Constant) and isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool):
            return expr.value
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
            v = self.const(expr.operand, depth - 1)
            return -v if v is not None else None
        if isinstance(expr, ast.BinOp):
            a, b = self.const(expr.left, depth - 1), self.const(expr.right, depth - 1)
            if a is None or b is None:
                return None
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b, ast.FloorDiv: lambda: a // b, ast.Pow: lambda: a ** b}
            try:
                fn = ops.get(type(expr.op))
                return fn() if fn else None
            except (ZeroDivisionError, OverflowError):
                return None
        if isinstance(expr, ast.Call) and dotted(expr.func) in ("int", "float", "round") and len(expr.args) == 1:
            v = self.const(expr.args[0], depth - 1)
            return None if v is None else (float(v) if dotted(expr.func) == "float" else int(v))
        if isinstance(expr, ast.Call) and dotted(expr.func) == "len" and len(expr.args) == 1:
            n = self.list_length(expr.args[0], depth - 1)
            return n
        return None

    def list_items(self, expr, depth: int = _DEPTH) -> list | None:
        """The elements of a list/tuple literal (names followed, ``.append`` calls included), else None."""
        if depth == 0:
            return None
        key = dotted(expr)
        expr = self.value(expr)
        if isinstance(expr, (ast.List, ast.Tuple)):
            items = list(expr.elts)
            if key and key in self.appends:
                items += self.appends[key]
            out = []
            for it in items:
                if isinstance(it, ast.Starred):
                    inner = self.list_items(it.value, depth - 1)
                    if inner is None:
                        return None
                    out += inner
                else:
                    out.append(it)
            return out
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            a, b = self.list_items(expr.left, depth - 1), self.list_items(expr.right, depth - 1)
            return a + b if a is not None and b is not None else None
        return None

    def identifiers(self, expr, depth: int = 3) -> list[str]:
        """Every name and attribute in an expression, names followed through their assignments."""
        out: list[str] = []
        if expr is None:
            return out
        for n in ast.walk(expr):
            if isinstance(n, ast.Name):
                out.append(n.id)
                if depth and n.id in self.assignments:
                    out += self.identifiers(self.value(n), depth - 1)
            elif isinstance(n, ast.Attribute):
                out.append(n.attr)
                key = dotted(n)
                if depth and key in self.assignments:
                    out += self.identifiers(self.value(n), depth - 1)
            elif isinstance(n, ast.Call) and dotted(n.func) == "len":
                out.append("len()")
        return out

    def list_length(self, expr, depth: int = _DEPTH) -> int | None:
        """Length of a list-valued expression when it can be read off the source, else None.

        Literals, ``[x] * n``, list + list, comprehensions over ``range(n)``, ``list(x)``/``np.array(x)``/
        ``Tensor(x)`` of such, and MindSpore ``nn.dynamic_lr`` functions (their ``total_step``,
        or the last milestone of ``piecewise_constant_lr``).
        """
        if expr is None or depth == 0:
            return None
        items = self.list_items(expr, depth)
        if items is not None:
            return len(items)
        expr = self.value(expr)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mult):
            for seq, n in ((expr.left, expr.right), (expr.right, expr.left)):
                if isinstance(self.value(seq), (ast.List, ast.Tuple)):
                    k, m = self.list_length(seq, depth - 1), self.const(n)
                    if k is not None and isinstance(m, int):
                        return k * m
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            a, b = self.list_length(expr.left, depth - 1), self.list_length(expr.right, depth - 1)
            return a + b if a is not None and b is not None else None
        if isinstance(expr, ast.ListComp) and len(expr.generators) == 1:
            return self.range_length(expr.generators[0].iter) if not expr.generators[0].ifs else None
        if isinstance(expr, ast.Call):
            call = self.call_of(expr)
            name = call.name if call else (dotted(expr.func) or "").rsplit(".", 1)[-1]
            if name in DYNAMIC_LR_TOTAL:
                return self._int(call.arg("total_step", DYNAMIC_LR_TOTAL[name])) if call else None
            if name == "piecewise_constant_lr" and call:
                milestones = self.list_items(call.arg("milestone", 0) or ast.List([]), depth - 1)
                last = self.const(milestones[-1]) if milestones else None
                return last if isinstance(last, int) else None
            if name in ("list", "tuple", "array", "asarray", "Tensor") and expr.args:
                return self.list_length(expr.args[0], depth - 1)
        return None

    def range_length(self, expr) -> int | None:
        """Iterations of ``range(...)`` with constant bounds, else None."""
        expr = self.value(expr)
        if not (isinstance(expr, ast.Call) and dotted(expr.func) == "range" and 1 <= len(expr.args) <= 3):
            return None
        vals = [self.const(a) for a in expr.args]
        if any(not isinstance(v, int) for v in vals):
            return None
        r = range(*vals) if len(vals) > 1 else range(vals[0])
        return len(r)

    def _int(self, expr) -> int | None:
        v = self.const(expr)
        return int(v) if isinstance(v, (int, float)) and float(v).is_integer() else None

    def method_calls(self, var: str, method: str) -> list[Call]:
        """Calls ``var.method(...)``."""
        return [c for c in self.calls if isinstance(c.node.func, ast.Attribute) and c.node.func.attr == method
                and dotted(c.node.func.value) == var]

    def bound_names(self, node: ast.Call) -> list[str]:
        """Variables the result of ``node`` is assigned to (``sched = StepLR(...)`` -> ["sched"])."""
        return [k for k, vals in self.assignments.items() if any(v is node for _, v in vals)]

    def uses_oneflow_graph(self) -> bool:
        """The file builds a OneFlow ``nn.Graph`` (a subclass of it, or ``add_optimizer``)."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef):
                for base in node.bases:
                    name = dotted(base)
                    if name and self.qualify(name).startswith("oneflow") and name.endswith("Graph"):
                        return True
        return any(c.name == "add_optimizer" for c in self.calls)


#: MindSpore ``nn.dynamic_lr`` functions -> the position of ``total_step`` (the list's length)
DYNAMIC_LR_TOTAL = {
    "cosine_decay_lr": 2,
    "exponential_decay_lr": 2,
    "natural_exp_decay_lr": 2,
    "inverse_decay_lr": 2,
    "polynomial_decay_lr": 2,
    "warmup_lr": 1,
}


def loop_kind(model: SourceModel, loop) -> str:
    """"batch" (iterates data or steps), "epoch" (iterates epochs) or "range" (a plain counted loop)."""
    if isinstance(loop, ast.While):
        return "range"
    target = " ".join(model.identifiers(loop.target, 0)).lower()
    it = loop.iter
    words = " ".join(model.identifiers(it, 1)).lower()
    if "epoch" in target or ("epoch" in words and "len()" not in words and "step" not in words and "iter" not in words):
        return "epoch"
    if isinstance(it, ast.Call) and dotted(it.func) == "range":
        if any(w in words for w in ("len()", "step", "iter", "batch")) or any(w in target for w in ("step", "batch", "iter")):
            return "batch"
        return "range"
    return "batch"  # for x in loader / enumerate(loader) / dataset.create_dict_iterator()


def cadence(model: SourceModel, call: Call) -> str | None:
    """How often ``call`` runs: "iteration" (inside a batch loop, or the inner one of nested loops),
    "epoch" (directly in an epoch loop), or None when there is no loop to tell."""
    if not call.loops:
        return None
    kinds = [loop_kind(model, lp) for lp in call.loops]
    if kinds[-1] == "batch" or (kinds[-1] == "range" and len(kinds) > 1):
        return "iteration"
    if kinds[-1] == "epoch":
        return "epoch"
    return None


#: name parts that count optimizer steps ("step" alone does not: torch's step_size counts scheduler steps)
STEP_WORDS = {"steps", "iter", "iters", "iteration", "iterations", "batch", "batches", "updates"}


def units(model: SourceModel, expr) -> str | None:
    """Whether a horizon expression counts "epoch"s or "step"s, judged by the names in it (else None)."""
    words = [w.lower() for w in model.identifiers(expr)]
    parts = {p for w in words for p in re.split(r"[^a-z0-9]+", w) if p}
    if "len()" in words or parts & STEP_WORDS:
        return "step"
    if any("epoch" in w for w in words):
        return "epoch"
    return None
