import torch

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)
for step in range(1000):
    opt.step()
    sched.step()
