"""Measured conformance: run real optimizer steps in a framework, read the lr each group really applied.

``measure(plan, steps, Target("torch", "eager"))`` returns what the framework
applied; ``compare`` checks it against the float64 reference evaluator.
Backends plug in a ``Runner`` (see ``engine``); the core imports no framework.
"""

from .compare import Comparison, compare, ulp_distance
from .engine import Measurement, Runner, Target, available_runners, measure, register_runner

__all__ = [
    "Comparison",
    "Measurement",
    "Runner",
    "Target",
    "available_runners",
    "compare",
    "measure",
    "register_runner",
    "ulp_distance",
]
