import torch

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 1, 3)
for epoch in range(200):
    opt.step()
    sched.step(epoch)  # expect: LRB008
