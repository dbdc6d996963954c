"""Backends are plugins: the core finds them through entry points and names none of them.

A backend package (``lrbridge_torch``, ``lrbridge_mindspore``, ``lrbridge_oneflow``, or a
third party's) exposes one framework-free :class:`Backend` and declares it under the
entry point group ``lrbridge.backends``::

    [project.entry-points."lrbridge.backends"]
    mybackend = "my_package.backend:BACKEND"

Every field that needs the framework is a lazy ``"module:attribute"`` reference,
so discovering and listing backends imports no framework. ``register_backend``
adds one at run time (tests, notebooks).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from .errors import BackendUnavailableError, LrBridgeError

ENTRY_POINT_GROUP = "lrbridge.backends"


def resolve(ref):
    """The object a ``"module:attribute"`` reference names (non-strings are returned as they are)."""
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    try:
        obj = importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailableError(f"cannot import '{module}': {exc}") from None
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class TargetSpec:
    """One place a backend can be measured: execution ``mode``, ``device`` and lr carrier ``form``.

    ``check_mode`` is the mode ``check`` is asked for this target (defaults to ``mode``);
    ``tolerance_ulp`` the float32 ulps its applied lr may differ from the reference
    (``scaled_tolerance_ulp`` when some group has ``lr_scale`` != 1).
    """

    mode: str
    device: str = "cpu"
    form: str = ""
    check_mode: str | None = None
    tolerance_ulp: int = 0
    scaled_tolerance_ulp: int | None = None


@dataclass(frozen=True)
class Backend:
    """What a framework package provides to lrbridge, as lazy references.

    name:     the backend's name (``check(plan, name)``, ``--to name``, targets ``name/mode/...``)
    check:    ``check(plan, mode=None, **options) -> CheckResult``, framework-free
    modes:    the modes ``check`` accepts (first = default)
    runner:   the conformance runner (``unavailable(target)``, ``measure(plan, steps, target)``)
    targets:  where it can be measured, CPU first
    render:   ``render(plan, steps, fmt) -> str | bytes`` for ``lrbridge convert --to name``
    formats:  the formats ``render`` writes
    exports:  public conveniences re-exported as ``lrbridge.<name>``: name -> ``"module:attribute"``
    dialects: config dialects this backend reads (modules with ``NAME``, ``detect``, ``to_plan``;
              see ``lrbridge.dialects``), e.g. a framework's own scheduler config format
    importer: ``import_live(obj, **options) -> ImportResult`` for the framework's live objects
    object_modules: top-level modules whose objects ``importer`` takes (``type(obj).__module__``)
    entry_runner: ``import_entry(source, steps=, steps_per_epoch=) -> ImportResult`` for a framework that runs
              in another interpreter: a ``file.py:function`` importing one of ``object_modules`` runs there
    check_options: extra options ``check`` gets when a conformance target is checked
    resume:   ``resume_scheduler(plan, optimizer, k, **options) -> (scheduler, state)``: the closed-form
              scheduler positioned so the next optimizer step applies lr(k), and the framework's state
              (plain JSON) doing the same; ``optimizer=None`` gives the state only (``lrbridge.resume``)
    """

    name: str
    check: str
    modes: tuple[str, ...]
    runner: str | None = None
    targets: tuple[TargetSpec, ...] = ()
    render: str | None = None
    formats: tuple[str, ...] = ()
    exports: dict[str, str] = field(default_factory=dict)
    dialects: tuple[str, ...] = ()
    importer: str | None = None
    object_modules: tuple[str, ...] = ()
    entry_runner: str | None = None
    check_options: dict = field(default_factory=dict)
    resume: str | None = None


_REGISTRY: dict[str, Backend] = {}
_DISCOVERED = False


def _discover() -> None:
    """Load every backend declared under the entry point group (once; imports no framework)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        try:
            backend = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            raise BackendUnavailableError(f"backend plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from None
        _REGISTRY.setdefault(backend.name, backend)


def register_backend(backend: Backend) -> Backend:
    """Add (or replace) a backend at run time."""
    if not isinstance(backend, Backend):
        raise TypeError(f"register_backend expects an lrbridge.backends.Backend, got {type(backend).__name__}")
    _REGISTRY[backend.name] = backend
    return backend


def unregister_backend(name: str) -> None:
    _REGISTRY.pop(name, None)


def backend_names() -> list[str]:
    _discover()
    return list(_REGISTRY)


def get_backend(name: str) -> Backend:
    """The backend called ``name``; an unknown name is an error listing the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"a backend name must be a string, got {type(name).__name__}")
    _discover()
    backend = _REGISTRY.get(name)
    if backend is None:
        raise LrBridgeError(f"unknown backend '{name}'; known: {', '.join(_REGISTRY) or 'none installed'}")
    return backend


def backend_for_object(obj) -> Backend | None:
    """The backend whose framework ``obj`` (or its optimizer) belongs to, by the module of its type."""
    _discover()
    candidates = [obj, getattr(obj, "optimizer", None)]
    if isinstance(obj, (list, tuple)) and obj:
        first = obj[0]
        candidates.append(first)
        if isinstance(first, dict) and first.get("params"):  # group_params: the framework of its parameters
            candidates.append(next(iter(first["params"])))
    for candidate in candidates:
        if candidate is None:
            continue
        top = type(candidate).__module__.split(".")[0]
        for backend in _REGISTRY.values():
            if top in backend.object_modules and backend.importer:
                return backend
    return None


def public_export(name: str):
    """A convenience a backend re-exports at ``lrbridge.<name>`` (e.g. ``to_torch``), or None."""
    _discover()
    for backend in _REGISTRY.values():
        ref = backend.exports.get(name)
        if ref is not None:
            return resolve(ref)
    return None


def public_export_names() -> list[str]:
    _discover()
    return sorted({n for b in _REGISTRY.values() for n in b.exports})
