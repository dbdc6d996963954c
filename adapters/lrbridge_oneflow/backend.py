"""The OneFlow backend as the core sees it: lazy references only, so listing it imports no OneFlow.

OneFlow itself runs in its own interpreter (see ``worker``); ``to_oneflow``/``from_oneflow``
are usable inside that interpreter only.
"""

from lrbridge.backends import Backend, TargetSpec

BACKEND = Backend(
    name="oneflow",
    check="lrbridge_oneflow.capability:check",
    modes=("eager", "graph"),
    runner="lrbridge_oneflow.runner:RUNNER",
    # Eager applies fp32 of the float64 closed form (0 ulp); nn.Graph computes the lr in its C++ kernel
    # (1 ulp) and multiplies lr_scale in float32 after rounding the lr (2 ulp).
    targets=(
        TargetSpec("eager", "cpu"),
        TargetSpec("graph", "cpu", tolerance_ulp=1, scaled_tolerance_ulp=2),
        TargetSpec("eager", "cuda"),
        TargetSpec("graph", "cuda", tolerance_ulp=1, scaled_tolerance_ulp=2),
    ),
    render="lrbridge_oneflow.codegen:render",
    formats=("json", "npy", "python"),
    object_modules=("oneflow",),
    entry_runner="lrbridge_oneflow.interpreter:import_entry",
    exports={
        "to_oneflow": "lrbridge_oneflow:to_oneflow",
        "from_oneflow": "lrbridge_oneflow:from_oneflow",
        "oneflow_param_groups": "lrbridge_oneflow:oneflow_param_groups",
        "oneflow_optimizer": "lrbridge_oneflow:oneflow_optimizer",
    },
    # conformance schedules an optimizer the runner builds itself
    check_options={"optimizer": False},
    resume="lrbridge_oneflow.resume:resume_scheduler",
)
