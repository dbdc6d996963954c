import torch
from torch.optim import lr_scheduler

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=1.0)
cos = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
step = lr_scheduler.StepLR(opt, 2, 0.5)
sched = lr_scheduler.ChainedScheduler([cos, step])  # expect: LRB007
