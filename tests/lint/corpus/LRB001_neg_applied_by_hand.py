import oneflow as flow

model = flow.nn.Linear(4, 2)
optimizer = flow.optim.SGD([{"params": model.weight, "lr": 1e-3, "lr_scale": 0.9}])


def adjust_learning_rate(opt):
    for group in opt.param_groups:
        group["lr"] *= group["lr_scale"]
