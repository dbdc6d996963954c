# The shape of torchvision's classification reference script: epoch-counted schedulers stepped per epoch,
# per-iteration OneCycle sized from the loader, resume through state_dict.
import argparse

import torch
import torch.utils.data
from torch.optim import lr_scheduler


def train_one_epoch(model, optimizer, data_loader, iter_scheduler):
    for i, (image, target) in enumerate(data_loader):
        loss = model(image).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        iter_scheduler.step()


def main(args):
    model = torch.nn.Linear(4, 2)
    data_loader = torch.utils.data.DataLoader(list(range(1000)), batch_size=args.batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    main_lr_scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs - args.lr_warmup_epochs, eta_min=args.lr_min)
    warmup_lr_scheduler = lr_scheduler.LinearLR(optimizer, start_factor=args.lr_warmup_decay, total_iters=args.lr_warmup_epochs)
    scheduler = lr_scheduler.SequentialLR(optimizer, schedulers=[warmup_lr_scheduler, main_lr_scheduler], milestones=[args.lr_warmup_epochs])
    iter_scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(data_loader))
    if args.resume:
        checkpoint = torch.load(args.resume, map_location="cpu")
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["lr_scheduler"])
        args.start_epoch = checkpoint["epoch"] + 1
    for epoch in range(args.start_epoch, args.epochs):
        train_one_epoch(model, optimizer, data_loader, iter_scheduler)
        scheduler.step()


if __name__ == "__main__":
    main(argparse.ArgumentParser().parse_args())
