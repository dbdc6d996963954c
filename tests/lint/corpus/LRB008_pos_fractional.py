import torch
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts

model = torch.nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2)
loader = [torch.zeros(4)] * 50
iters = len(loader)
for epoch in range(70):
    for i, x in enumerate(loader):
        optimizer.step()
        scheduler.step(epoch + i / iters)  # expect: LRB008
