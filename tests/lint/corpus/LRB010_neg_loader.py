import torch

EPOCHS = 10
opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
train_loader = torch.utils.data.DataLoader(list(range(1000)), batch_size=32)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, epochs=EPOCHS, steps_per_epoch=len(train_loader))
sched2 = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=EPOCHS * len(train_loader))
for epoch in range(EPOCHS):
    for x in train_loader:
        opt.step()
        sched.step()
        sched2.step()
