"""Entry points a user names on the command line (``file.py:function``): they build live torch objects."""

import torch


def _optimizer():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)


def warmup_cosine():
    opt = _optimizer()
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=45)
    return opt, torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[5])


def by_epoch():
    opt = _optimizer()
    return {"optimizer": opt, "scheduler": torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
            "interval": "epoch", "steps_per_epoch": 10}


def not_a_scheduler():
    return "StepLR"
