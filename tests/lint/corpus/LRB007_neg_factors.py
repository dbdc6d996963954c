import torch
from torch.optim import lr_scheduler

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=1.0)
sched = lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(opt, 0.1, 4), lr_scheduler.ExponentialLR(opt, 0.9)])
