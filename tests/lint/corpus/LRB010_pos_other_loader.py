import torch

opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
train_loader = torch.utils.data.DataLoader(list(range(1000)), batch_size=32)
val_loader = torch.utils.data.DataLoader(list(range(100)), batch_size=32)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, epochs=10, steps_per_epoch=len(val_loader))  # expect: LRB010
for epoch in range(10):
    for x in train_loader:
        opt.step()
        sched.step()
