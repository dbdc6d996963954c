import oneflow as flow
from oneflow.optim.lr_scheduler import ConstantLR, LinearLR, SequentialLR, StepLR

opt = flow.optim.SGD(flow.nn.Linear(4, 2).parameters(), lr=0.1)
sched = SequentialLR(
    opt,
    [
        ConstantLR(opt, 0.1, 2),
        SequentialLR(opt, [LinearLR(opt, 0.5, total_iters=2), StepLR(opt, 2, 0.5)], [2], interval_rescaling=True),  # expect: LRB011
    ],
    [2],
    interval_rescaling=True,
)
