"""lrbridge's pytest plugin: assert in your own CI that a port applies the learning rates it should.

Enabled by installing lrbridge (entry point ``pytest11``), or explicitly with ``pytest -p lrbridge.pytest_plugin``.

Assertions (importable from here, also on the ``lrbridge_check`` fixture)::

    from lrbridge.pytest_plugin import assert_same_lr, assert_plan_applied

    def test_port(tmp_path):
        assert_same_lr("recipe_torch.yaml", "recipe_mindspore.yaml", steps=1000)       # reference vs reference
        assert_same_lr(plan, my_measured_array, steps=1000, tol=0)                       # anything diff reads
        assert_plan_applied(plan, "mindspore/graph/cpu/cell", steps=1000)                # real steps, the path's tolerance

A failing assertion's message is the ``lrbridge diff`` report: the group, the first
differing step with both values and the ulp distance, and the recognised cause.

Markers: ``@pytest.mark.lrbridge_backend("torch", ...)``, ``@pytest.mark.lrbridge_device("cuda")``,
``@pytest.mark.lrbridge_target("oneflow/graph/cpu")``: the test is skipped, with the reason, when a
backend, device or target is absent, and fails instead when ``LRBRIDGE_REQUIRE_BACKENDS=1``.
The ``lrbridge_target`` fixture runs a test once per target of ``--lrbridge-targets`` (default:
every CPU target).
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "LRBRIDGE_REQUIRE_BACKENDS"

#: devices -> the backends that can have them (for a device marker without a backend marker)
DEVICE_BACKENDS = {"cpu": ("torch", "mindspore", "oneflow"), "cuda": ("torch", "oneflow"), "gpu": ("mindspore",),
                   "ascend": ("mindspore",)}


# ---------------------------------------------------------------- availability


def _target(target):
    from .conformance import Target

    if isinstance(target, Target):
        return target
    parts = str(target).split("/")
    if not 2 <= len(parts) <= 4:
        raise pytest.UsageError(f"lrbridge target {target!r}: expected backend/mode[/device[/form]], e.g. torch/eager/cpu")
    return Target(*parts)


def target_unavailable(target) -> str | None:
    """None when ``target`` can be measured here, else why not (the backend cannot load, no such device, ...)."""
    from .conformance.engine import get_runner
    from .errors import BackendUnavailableError, LrBridgeError

    target = _target(target)
    try:
        runner = get_runner(target.backend)
    except BackendUnavailableError as exc:
        return str(exc)
    except LrBridgeError as exc:  # a backend lrbridge does not know: the test is wrong, not the machine
        pytest.fail(f"lrbridge: {exc}", pytrace=False)
    if target.mode not in runner.modes:
        pytest.fail(f"lrbridge target {target}: backend {target.backend} has no mode '{target.mode}' ({', '.join(runner.modes)})", pytrace=False)
    try:
        return runner.unavailable(target)
    except LrBridgeError as exc:
        return str(exc)


def backend_unavailable(backend: str) -> str | None:
    """Why ``backend`` cannot run here (on CPU, in its first mode), or None."""
    from .conformance.engine import get_runner
    from .errors import BackendUnavailableError, LrBridgeError

    try:
        runner = get_runner(backend)
    except BackendUnavailableError as exc:
        return str(exc)
    except LrBridgeError as exc:
        pytest.fail(f"lrbridge: {exc}", pytrace=False)
    return target_unavailable(f"{backend}/{runner.modes[0]}/cpu")


def absent(what: str, why: str):
    """Skip with the reason, or fail under LRBRIDGE_REQUIRE_BACKENDS=1."""
    __tracebackhide__ = True
    message = f"lrbridge: {what} absent: {why}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1: required)", pytrace=False)
    pytest.skip(message)


def require_target(target) -> None:
    """Skip (or fail under LRBRIDGE_REQUIRE_BACKENDS=1) unless ``target`` can be measured here."""
    __tracebackhide__ = True
    why = target_unavailable(target)
    if why:
        absent(f"target {_target(target)}", why)


# ---------------------------------------------------------------- assertions


def assert_same_lr(a, b, *, steps: int | None = None, tol: float | None = None, target_a=None, target_b=None,
                   mapping=None, steps_per_epoch: int | None = None):
    """Assert that A and B apply the same lr (and scheduled hyperparameters) in every matched group.

    A, B: source files or ``module:function`` entries, plans, ``Measurement``s, arrays (1-D: one
    group; 2-D: groups × steps), ``{group: array}`` dicts or ``lrbridge.diff.Curves``; measured on
    ``target_a``/``target_b`` when given (skipped if absent). ``tol``: float32 ulps (default: the larger
    of both paths' documented tolerances, 0 for the reference). Fails with the diff report.
    """
    __tracebackhide__ = True
    from .diff import diff

    for t in (target_a, target_b):
        if t is not None:
            require_target(t)
    report = diff(a, b, steps=steps, steps_per_epoch=steps_per_epoch, target_a=target_a, target_b=target_b,
                  mapping=mapping, tol=tol)
    if not report.ok:
        raise AssertionError("learning rates differ\n" + report.text())
    return report


def assert_plan_applied(plan, target, *, steps: int | None = None):
    """Assert that ``target`` (``Target`` or "backend/mode[/device[/form]]") applies ``plan``: real optimizer
    steps measured and compared with the float64 reference at the target's tolerance (docs/conformance.md).

    ``plan``: a plan or a source file. Skipped (failed under LRBRIDGE_REQUIRE_BACKENDS=1) when the target is absent.
    """
    __tracebackhide__ = True
    from .conformance import measure
    from .conformance.matrix import tolerance_ulp
    from .diff import Curves, _plan_of, curves_of, diff_curves, read_side
    from .plan import resolve_steps

    target = _target(target)
    require_target(target)
    the_plan, _ = _plan_of(read_side(plan, steps=steps))
    n = resolve_steps(the_plan, steps)
    reference = curves_of(the_plan, n, label="plan")
    m = measure(the_plan, n, target)
    applied = Curves(f"applied on {target}", list(m.group_names), m.lr, tolerance=tolerance_ulp(the_plan, target), measured=True)
    report = diff_curves(reference, applied)
    if not report.ok:
        raise AssertionError(f"{target} does not apply the plan\n" + report.text())
    return report


class LrCheck:
    """The ``lrbridge_check`` fixture: the assertions, plus ``require(target)`` and ``measure``."""

    assert_same_lr = staticmethod(assert_same_lr)
    assert_plan_applied = staticmethod(assert_plan_applied)
    require = staticmethod(require_target)

    @staticmethod
    def measure(plan, steps: int, target):
        from .conformance import measure

        require_target(target)
        return measure(plan, steps, _target(target))


@pytest.fixture
def lrbridge_check() -> LrCheck:
    """lrbridge's assertions: ``lrbridge_check.assert_same_lr(...)``, ``.assert_plan_applied(...)``, ``.require(target)``."""
    return LrCheck()


@pytest.fixture
def lrbridge_target(request):
    """One target of ``--lrbridge-targets`` per test run (absent targets skip, or fail under LRBRIDGE_REQUIRE_BACKENDS=1)."""
    target = _target(request.param)
    require_target(target)
    return target


# ---------------------------------------------------------------- hooks


def pytest_addoption(parser):
    group = parser.getgroup("lrbridge")
    group.addoption("--lrbridge-targets", default=None, metavar="T1,T2",
                    help="targets the lrbridge_target fixture runs on (backend/mode[/device[/form]], comma separated; "
                         "default: every CPU target of the conformance matrix)")


def pytest_configure(config):
    config.addinivalue_line("markers", "lrbridge_backend(*names): needs these lrbridge backends (torch, mindspore, oneflow)")
    config.addinivalue_line("markers", "lrbridge_device(*devices): needs these devices (cpu, cuda, gpu, ascend)")
    config.addinivalue_line("markers", "lrbridge_target(*targets): needs these targets (backend/mode[/device[/form]])")


def _default_targets() -> list[str]:
    from .conformance.matrix import DEFAULT_TARGETS

    return [str(t) for t in DEFAULT_TARGETS if t.device == "cpu"]


def pytest_generate_tests(metafunc):
    if "lrbridge_target" in metafunc.fixturenames:
        option = metafunc.config.getoption("--lrbridge-targets")
        targets = [t.strip() for t in option.split(",") if t.strip()] if option else _default_targets()
        metafunc.parametrize("lrbridge_target", targets, indirect=True, ids=[t.replace("/", "-") for t in targets])


def pytest_runtest_setup(item):
    backends = [b for m in item.iter_markers("lrbridge_backend") for b in m.args]
    for backend in backends:
        why = backend_unavailable(backend)
        if why:
            absent(f"backend {backend}", why)
    for m in item.iter_markers("lrbridge_device"):
        for device in m.args:
            candidates = backends or list(DEVICE_BACKENDS.get(device, ()))
            if not candidates:
                raise pytest.UsageError(f"lrbridge_device: unknown device {device!r}; devices: {', '.join(DEVICE_BACKENDS)}")
            reasons = {}
            for backend in candidates:
                why = backend_unavailable(backend) or _device_unavailable(backend, device)
                if why is None and not backends:
                    break  # any backend with the device will do
                if why:
                    reasons[backend] = why
            else:
                if reasons:
                    absent(f"device {device}", "; ".join(f"{b}: {w}" for b, w in reasons.items()))
    for m in item.iter_markers("lrbridge_target"):
        for target in m.args:
            require_target(target)


def _device_unavailable(backend: str, device: str) -> str | None:
    from .conformance.engine import get_runner

    mode = get_runner(backend).modes[0]
    if backend == "mindspore":
        mode = "graph" if device in ("gpu", "ascend") else mode
    return target_unavailable(f"{backend}/{mode}/{device}")
