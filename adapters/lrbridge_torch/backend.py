"""The PyTorch backend as the core sees it: lazy references only, so listing it imports no torch."""

from lrbridge.backends import Backend, TargetSpec

BACKEND = Backend(
    name="torch",
    check="lrbridge_torch.capability:check",
    modes=("eager",),
    runner="lrbridge_torch.runner:RUNNER",
    # torch applies fp32(lr) of the float64 closed form (or of its own native class, chosen only when equal).
    targets=(TargetSpec("eager", "cpu"), TargetSpec("eager", "cuda")),
    render="lrbridge_torch.codegen:render",
    formats=("json", "npy", "python"),
    dialects=("lrbridge_torch.dialect",),
    importer="lrbridge_torch.importer:import_live",
    object_modules=("torch",),
    resume="lrbridge_torch.resume:resume_scheduler",
    exports={
        "to_torch": "lrbridge_torch:to_torch",
        "from_torch": "lrbridge_torch:from_torch",
        "torch_param_groups": "lrbridge_torch:torch_param_groups",
        "torch_optimizer": "lrbridge_torch:torch_optimizer",
    },
)
