"""Input loading: arrays, dicts, lr lists, Traces and .npy/.json/.csv files to (names, groups × steps, float32 flag)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import PlanError


def _load_file(path: Path):
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False), None
        text = path.read_text()
    except (OSError, ValueError) as exc:
        raise PlanError("values", f"cannot read lr file '{path}': {exc}") from None
    if suffix == ".json":
        data = json.loads(text)
        if isinstance(data, dict) and "groups" in data:  # lrbridge's own {"total_step", "groups": [{name, lr}]}
            return {g.get("name", f"group{i}"): g["lr"] for i, g in enumerate(data["groups"])}, None
        return data, None
    if suffix == ".csv":
        rows = [r.split(",") for r in text.strip().splitlines() if r.strip()]
        header = None
        try:
            float(rows[0][0])
        except ValueError:
            header, rows = [h.strip() for h in rows[0]], rows[1:]
        arr = np.array([[float(v) for v in r] for r in rows], np.float64)
        if header and header[0].lower() in ("step", "steps", "k", "iter", "iteration", "global_step"):
            header, arr = header[1:], arr[:, 1:]
        return arr.T, header
    raise PlanError("values", f"unknown lr file type '{suffix}'; accepted: .npy, .json, .csv")


def _as_groups(values, names, dtype):
    """(names, float64 array (G, N), float32 flag) from any accepted input."""
    file_names = None
    if isinstance(values, (str, Path)):
        values, file_names = _load_file(Path(values))
    if hasattr(values, "lr") and hasattr(values, "names"):  # a Trace
        values, file_names = values.lr, list(values.names)
    is32 = dtype == "float32"
    if isinstance(values, dict):
        file_names = list(values)
        rows = [np.asarray(getattr(v, "asnumpy", lambda v=v: v)()) for v in values.values()]
        is32 = is32 or all(r.dtype == np.float32 for r in rows)
        lengths = {r.shape for r in rows}
        if len(lengths) != 1:
            raise PlanError("values", f"every group needs the same number of steps, got shapes {sorted(lengths)}")
        arr = np.stack(rows).astype(np.float64)
    else:
        raw = np.asarray(values.asnumpy() if hasattr(values, "asnumpy") else values)
        is32 = is32 or raw.dtype == np.float32
        arr = raw.astype(np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise PlanError("values", f"expected lrs as groups × steps, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise PlanError("values", "learning rates must be finite and non-negative")
    names = list(names) if names is not None else file_names or (
        ["default"] if arr.shape[0] == 1 else [f"group{i}" for i in range(arr.shape[0])])
    if len(names) != arr.shape[0]:
        raise PlanError("names", f"{len(names)} names for {arr.shape[0]} groups")
    if dtype not in ("float64", "float32"):
        raise PlanError("dtype", f"must be 'float64' or 'float32', got {dtype!r}")
    return names, arr, is32
