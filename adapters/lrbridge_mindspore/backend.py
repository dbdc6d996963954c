"""The MindSpore backend as the core sees it: lazy references only, so listing it imports no MindSpore."""

from lrbridge.backends import Backend, TargetSpec

BACKEND = Backend(
    name="mindspore",
    check="lrbridge_mindspore.capability:check",
    modes=("list", "cell", "experimental"),
    runner="lrbridge_mindspore.runner:RUNNER",
    # Lists and experimental apply fp32 of the float64 reference (0 ulp); float64 cells cast once (1 ulp).
    targets=(
        TargetSpec("pynative", "cpu", "list", check_mode="list"),
        TargetSpec("graph", "cpu", "list", check_mode="list"),
        TargetSpec("pynative", "cpu", "cell", check_mode="cell", tolerance_ulp=1),
        TargetSpec("graph", "cpu", "cell", check_mode="cell", tolerance_ulp=1),
        TargetSpec("pynative", "cpu", "experimental", check_mode="experimental"),
        TargetSpec("graph", "gpu", "cell", check_mode="cell", tolerance_ulp=1),
        TargetSpec("graph", "ascend", "cell", check_mode="cell", tolerance_ulp=1),
    ),
    render="lrbridge_mindspore.codegen:render",
    formats=("json", "npy", "python"),
    importer="lrbridge_mindspore.importer:import_live",
    object_modules=("mindspore",),
    resume="lrbridge_mindspore.resume:resume_scheduler",
    exports={
        "to_mindspore_lr_list": "lrbridge_mindspore:to_mindspore_lr_list",
        "to_mindspore_schedule": "lrbridge_mindspore:to_mindspore_schedule",
        "mindspore_param_groups": "lrbridge_mindspore:mindspore_param_groups",
        "mindspore_optimizer": "lrbridge_mindspore:mindspore_optimizer",
        "from_mindspore": "lrbridge_mindspore:from_mindspore",
    },
)
