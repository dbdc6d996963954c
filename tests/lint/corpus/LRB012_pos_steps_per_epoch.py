import torch

total_steps = 10000
opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)  # expect: LRB012
loader = torch.utils.data.DataLoader(list(range(1000)))
for epoch in range(10):
    for x in loader:
        opt.step()
    sched.step()
