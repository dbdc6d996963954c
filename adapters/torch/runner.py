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

        return self.measure_native(lambda opt: to_torch(plan, opt, native=native), len(plan.groups), steps, target.device)

    def measure_native(self, make_scheduler, groups: int, steps: int, device: str = "cpu", lrs=None) -> np.ndarray:
        """Applied lr of ``groups`` param groups under ``make_scheduler(optimizer)``, shape (groups, steps).

        ``lrs``: the groups' initial lrs (default 1.0 each; to_torch overwrites them from the plan).
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
                    if start + j + 1 < steps:  # none past the last step (OneCycleLR raises there)
                        sched.step()
                for g, p in enumerate(params):
                    out[g, start:start + n] = -p.detach().cpu().numpy()[:n].astype(np.float64)
        return out


RUNNER = TorchRunner()
