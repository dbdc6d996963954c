import oneflow as flow
from oneflow.optim import lr_scheduler

opt = flow.optim.SGD(flow.nn.Linear(4, 2).parameters(), lr=1.0)
sched = lr_scheduler.ChainedScheduler([lr_scheduler.CosineAnnealingLR(opt, 4), lr_scheduler.StepLR(opt, 2, 0.5)])
