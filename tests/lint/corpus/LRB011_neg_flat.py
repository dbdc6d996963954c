import torch
from torch.optim.lr_scheduler import ConstantLR, CosineAnnealingLR, LinearLR, SequentialLR

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = SequentialLR(opt, [ConstantLR(opt, 0.1, 5), LinearLR(opt, 0.5, total_iters=10), CosineAnnealingLR(opt, 90)], milestones=[5, 15])
