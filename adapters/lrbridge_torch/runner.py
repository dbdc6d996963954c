"""Torch conformance runner: the lr each group really applied, measured through real SGD steps.

Probe (``lrbridge.conformance.engine``): plain ``torch.optim.SGD`` (momentum 0,
weight decay 0) over one float32 vector of C zeros per group; step k gets a
one-hot gradient at k mod C, so SGD writes 0 − fp32(lr_k)·1 = −fp32(lr_k) into
that slot. One read per C steps recovers every applied lr; no per-step host reads.
The scheduler is what ``to_torch`` builds, i.e. what users get; ``measure_native``
measures any given torch scheduler the same way.
"""

from __future__ import annotations

import warnings

import numpy as np

#: probe vector length (steps per read)
CHUNK = 2048


class TorchRunner:
    backend = "torch"
    modes = ("eager",)

    def unavailable(self, target) -> str | None:
        try:
            import torch
        except ImportError as exc:
            return f"torch cannot be imported: {exc}"
        if target.mode not in self.modes:
            return f"torch has no mode '{target.mode}'"
        if target.device == "cuda" and not torch.cuda.is_available():
            return "no CUDA device (torch.cuda.is_available() is False)"
        if target.device not in ("cpu", "cuda"):
            return f"device '{target.device}' is not supported by the torch runner (cpu, cuda)"
        return None

    def measure(self, plan, steps: int, target, *, native: bool = True) -> np.ndarray:
        """Applied lr of every plan group over ``steps`` steps of the scheduler ``to_torch`` builds."""
        from .export import to_torch

        return self.measure_native(lambda opt: to_torch(plan, opt, native=native), len(plan.groups), steps, target.device,
                                   lrs=probe_lrs(plan))

    def measure_native(self, make_scheduler, groups: int, steps: int, device: str = "cpu", lrs=None) -> np.ndarray:
        """Applied lr of ``groups`` param groups under ``make_scheduler(optimizer)``, shape (groups, steps).

        ``lrs``: the groups' initial lrs (default 1.0 each; to_torch overwrites them from the plan);
        a float32 tensor there is kept (``probe_lrs``), as a user's ``lr=torch.tensor(x)`` is.
        """
        import torch

        c = max(1, min(CHUNK, steps))
        params = [torch.zeros(c, dtype=torch.float32, device=device, requires_grad=True) for _ in range(groups)]
        lrs = [1.0] * groups if lrs is None else list(lrs)
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0], momentum=0.0)
        sched = make_scheduler(opt)
        onehot = torch.eye(c, dtype=torch.float32, device=device)
        out = np.empty((groups, steps), np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for start in range(0, steps, c):
                n = min(c, steps - start)
                with torch.no_grad():
                    for p in params:
                        p.zero_()
                for j in range(n):
                    row = onehot[j]
                    for p in params:
                        p.grad = row
                    opt.step()
                    sched.step()  # the natural loop: the last call computes step `steps`, never applied
                for g, p in enumerate(params):
                    out[g, start:start + n] = -p.detach().cpu().numpy()[:n].astype(np.float64)
        return out


    def measure_batch(self, cases) -> list:
        """Every ``(plan, steps, target)`` case in one SGD optimizer: a (groups, steps) array per case,
        or the exception that case raised (building its scheduler, or stepping it).

        Each plan gets its own small SGD whose param-group dicts are the very dicts of one big
        SGD over every plan's probes (torch keeps the dicts it is given), so ``to_torch``'s
        scheduler for that plan writes the lr the big optimizer applies. One ``step()`` of the
        big optimizer per step, then every plan's ``scheduler.step()``; a plan leaves the big
        optimizer after its last step. The result of each case equals ``measure`` alone (a test).
        """
        by_device: dict[str, list[int]] = {}
        for i, (plan, steps, target) in enumerate(cases):
            by_device.setdefault(target.device, []).append(i)
        out: list = [None] * len(cases)
        for device, idx in by_device.items():
            for i, result in zip(idx, _measure_together([cases[i] for i in idx], device)):
                out[i] = result
        return out


def probe_lrs(plan) -> list:
    """The probe optimizer's initial lr per plan group: what a user's optimizer would hold for it,
    a float32 tensor for ``lr_dtype: float32`` (so the scheduler writes it with ``fill_``), else 1.0."""
    import torch

    return [torch.tensor(1.0, dtype=torch.float32) if g.lr_dtype == "float32" else 1.0 for g in plan.groups]


class _Member:
    """One plan of a batch: its probes, its own SGD view and scheduler, its output."""

    def __init__(self, plan, steps: int, params, opt, sched):
        self.steps, self.params, self.opt, self.sched = steps, params, opt, sched
        self.out = np.empty((len(plan.groups), steps), np.float64)
        self.error: Exception | None = None


def _measure_together(cases, device: str) -> list:
    import torch

    from .export import to_torch

    c = max(1, min(CHUNK, max(int(steps) for _, steps, _ in cases)))
    grad = torch.zeros(c, dtype=torch.float32, device=device)  # one one-hot gradient shared by every probe
    members: list = []
    for plan, steps, target in cases:
        params = [torch.zeros(c, dtype=torch.float32, device=device, requires_grad=True) for _ in plan.groups]
        try:
            opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, probe_lrs(plan))], lr=1.0, momentum=0.0)
            sched = to_torch(plan, opt, native=True)
        except Exception as exc:
            members.append(exc)
            continue
        for p in params:
            p.grad = grad
        members.append(_Member(plan, int(steps), params, opt, sched))
    live = [m for m in members if isinstance(m, _Member)]
    if live:
        big = torch.optim.SGD([pg for m in live for pg in m.opt.param_groups], lr=1.0, momentum=0.0)
        active = list(live)  # the members still stepping (``_run_together`` shrinks it)
        big.register_step_pre_hook(_fan_out_pre_hooks(active))
        _run_together(big, active, grad, c)
    return [m if isinstance(m, Exception) else (m.error or m.out) for m in members]


def _fan_out_pre_hooks(active):
    """Run each live plan's own optimizer step pre-hooks (e.g. a horizon guard) as if its optimizer stepped."""

    def hook(_big, args, kwargs):
        for m in active:
            if m.error is None and m.opt._optimizer_step_pre_hooks:
                try:
                    for h in list(m.opt._optimizer_step_pre_hooks.values()):
                        h(m.opt, args, kwargs)
                except Exception as exc:
                    m.error = exc

    return hook


def _run_together(big, active: list, grad, c: int) -> None:
    """Step ``big`` until every member's last step, reading all probes once per chunk of c steps.

    ``active`` (the members still stepping) is shrunk in place as members finish.
    """
    import torch

    total = max(m.steps for m in active)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for start in range(0, total, c):
            n = min(c, total - start)
            for j in range(n):
                k = start + j
                grad.zero_()
                grad[j] = 1.0
                big.step()
                for m in active:
                    if k + 1 < m.steps and m.error is None:  # none past the last step (OneCycleLR raises there)
                        try:
                            m.sched.step()
                        except Exception as exc:
                            m.error = exc
                done = [m for m in active if m.steps <= k + 1 or m.error is not None]
                if done:
                    _read(done, start, j + 1)
                    active[:] = [m for m in active if m not in done]
                    _leave(big, done)
            _read(active, start, n)
            with torch.no_grad():
                for m in active:
                    for p in m.params:
                        p.zero_()


def _read(members, start: int, n: int) -> None:
    """Copy the applied lrs of steps start..start+n−1 (slots 0..n−1 of every probe) into each member."""
    for m in members:
        if m.error is not None:
            continue
        hi = min(n, m.steps - start)
        if hi > 0:
            for g, p in enumerate(m.params):
                m.out[g, start:start + hi] = -p.detach().cpu().numpy()[:hi].astype(np.float64)


def _leave(big, done) -> None:
    """Take finished members' groups out of the big optimizer (it steps only the live ones)."""
    gone = {id(pg) for m in done for pg in m.opt.param_groups}
    big.param_groups[:] = [pg for pg in big.param_groups if id(pg) not in gone]


RUNNER = TorchRunner()


def measure_momentum(plan, steps: int, *, native: bool = True, device: str = "cpu"):
    """Momentum each group really applied at steps 0..steps−1 under ``to_torch(plan, ...)``, from the
    parameter updates (``lrbridge.conformance.momentum``): shape (groups, steps), NaN at step 0.

    The plan's optimizer must be SGD (heavy-ball momentum, dampening 0).
    """
    import torch

    from lrbridge.conformance.momentum import momentum_from_updates
    from lrbridge.reference import evaluate

    from .export import to_torch

    params = [torch.zeros(1, dtype=torch.float32, device=device, requires_grad=True) for _ in plan.groups]
    momentum = float(plan.optimizer.resolved()["momentum"])
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=1.0, momentum=momentum or 0.9, dampening=0.0)
    sched = to_torch(plan, opt, native=native)
    deltas = _updates(opt, sched, params, steps, start=0.0, grad=1.0)
    return momentum_from_updates(deltas, evaluate(plan, steps, dtype=np.float32))


def measure_weight_decay(plan, steps: int, *, native: bool = True, device: str = "cpu"):
    """Weight decay each group really applied at steps 0..steps−1 under ``to_torch(plan, ...)``, from the
    parameter updates (``lrbridge.conformance.weight_decay``): shape (groups, steps).

    Probe optimizer: AdamW for an adamw plan, else SGD without momentum (a zero gradient then moves
    p = 1 by lr·wd alone); each group starts at the plan's weight decay.
    """
    import torch

    from lrbridge.conformance.weight_decay import weight_decay_from_updates
    from lrbridge.reference import evaluate

    from .export import to_torch

    params = [torch.ones(1, dtype=torch.float32, device=device, requires_grad=True) for _ in plan.groups]
    groups = [{"params": [p], "weight_decay": plan.group_weight_decay(g)} for p, g in zip(params, plan.groups)]
    opt = torch.optim.AdamW(groups, lr=1.0) if plan.optimizer.name == "adamw" else torch.optim.SGD(groups, lr=1.0)
    sched = to_torch(plan, opt, native=native)
    deltas = _updates(opt, sched, params, steps, start=1.0, grad=0.0)
    return weight_decay_from_updates(deltas, evaluate(plan, steps, dtype=np.float32))


def _updates(opt, sched, params, steps: int, *, start: float, grad: float) -> np.ndarray:
    """start − p after each optimizer step from p = start with a constant gradient, per group: (groups, steps).

    The scalar probes of the hyperparameter measurements (momentum: start 0, gradient 1; weight decay:
    start 1, gradient 0); ``sched.step()`` after every optimizer step, as in the natural loop."""
    import torch

    deltas = np.empty((len(params), steps), np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for k in range(steps):
            for p in params:
                p.grad = torch.full_like(p, grad)
            opt.step()
            with torch.no_grad():
                for g, p in enumerate(params):
                    deltas[g, k] = start - float(p.item())
                    p.fill_(start)
            sched.step()
    return deltas
