import torch
from torch.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR, StepLR

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
warm = SequentialLR(opt, [LinearLR(opt, 0.25, 1.0, 4), ExponentialLR(opt, 0.5)], [3])
sched = SequentialLR(opt, [warm, StepLR(opt, 2, 0.1)], [6])  # expect: LRB011
