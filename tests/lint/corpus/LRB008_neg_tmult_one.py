import torch

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10)
loader = [0] * 20
for epoch in range(30):
    for i, batch in enumerate(loader):
        opt.step()
        sched.step(epoch + i / len(loader))
