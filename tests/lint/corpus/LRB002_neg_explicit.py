import oneflow as flow
from oneflow.optim import lr_scheduler

opt = flow.optim.SGD(flow.nn.Linear(4, 2).parameters(), lr=0.1)
warm = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=500)
cos = lr_scheduler.CosineAnnealingLR(opt, T_max=9500)
sched = lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[500], interval_rescaling=True)
main = lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
sched2 = lr_scheduler.WarmupLR(main, warmup_factor=0.1, warmup_iters=50, warmup_prefix=True)
