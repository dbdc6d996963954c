import torch

EPOCHS = 10
STEPS = 100
opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=EPOCHS * STEPS)
for epoch in range(EPOCHS):
    for step in range(STEPS):
        opt.step()
        sched.step()
