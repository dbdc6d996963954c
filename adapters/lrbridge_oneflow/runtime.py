"""Load OneFlow 0.9.0 on a CPU machine.

oneflow 0.9.0 is a CUDA build: importing it needs libcublas/libcudnn even on
CPU. The ``nvidia-cublas-cu11`` and ``nvidia-cudnn-cu11`` wheels ship them; load
them with RTLD_GLOBAL before ``import oneflow`` so no LD_LIBRARY_PATH is needed.
"""

from __future__ import annotations

import ctypes
import glob
import os

_loaded = None


def load_oneflow():
    """Import and return ``oneflow``, preloading the CUDA libraries it links against."""
    global _loaded
    if _loaded is not None:
        return _loaded
    try:
        import nvidia  # namespace package from the nvidia-*-cu11 wheels
    except ImportError:
        nvidia = None
    if nvidia is not None:
        for root in list(nvidia.__path__):
            for lib in sorted(glob.glob(os.path.join(root, "*", "lib", "lib*.so*"))):
                try:
                    ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
                except OSError:
                    pass  # optional pieces (e.g. libnvblas) may not load; oneflow reports what it misses
    import oneflow

    _loaded = oneflow
    return oneflow
