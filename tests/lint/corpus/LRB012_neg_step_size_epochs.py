# torchvision's reference: StepLR(step_size=args.lr_step_size) counts epochs and is stepped once per epoch.
import torch


def main(args, data_loader):
    optimizer = torch.optim.SGD(torch.nn.Linear(4, 2).parameters(), lr=args.lr)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.lr_step_size, gamma=args.lr_gamma)
    for epoch in range(args.start_epoch, args.epochs):
        for image, target in data_loader:
            optimizer.step()
        lr_scheduler.step()
