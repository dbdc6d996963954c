import oneflow as flow

model = flow.nn.Linear(4, 2)
param_groups = [
    {"params": model.weight, "lr": 1e-3, "lr_scale": 0.1},  # expect: LRB001
    {"params": model.bias, "lr": 1e-3},
]
optimizer = flow.optim.SGD(param_groups)
for x in range(10):
    optimizer.step()
