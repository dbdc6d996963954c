import torch

num_epochs = 90
model = torch.nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
train_loader = torch.utils.data.DataLoader(list(range(1000)), batch_size=32)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs * len(train_loader))
epoch_sched = torch.optim.lr_scheduler.StepLR(optimizer, step_size=num_epochs // 3)
for epoch in range(num_epochs):
    for x in train_loader:
        optimizer.step()
        scheduler.step()
    epoch_sched.step()
