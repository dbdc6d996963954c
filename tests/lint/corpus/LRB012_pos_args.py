import argparse

import torch

args = argparse.ArgumentParser().parse_args()
opt = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=args.lr)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args.lr_decay_epochs, gamma=0.1)  # expect: LRB012
for epoch in range(args.epochs):
    for i, (x, y) in enumerate(args.loader):
        opt.step()
        sched.step()
