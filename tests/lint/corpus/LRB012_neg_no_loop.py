import torch

epochs = 10
opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
