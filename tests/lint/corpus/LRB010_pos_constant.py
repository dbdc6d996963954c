import torch
from torch.optim.lr_scheduler import OneCycleLR

model = torch.nn.Linear(4, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
train_loader = torch.utils.data.DataLoader(list(range(1000)), batch_size=32)
scheduler = OneCycleLR(optimizer, max_lr=1e-2, total_steps=3000)  # expect: LRB010
for epoch in range(100):
    for batch in train_loader:
        optimizer.step()
        scheduler.step()
