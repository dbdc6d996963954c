from mindspore import nn

net = nn.Dense(4, 2)
conv = [p for p in net.trainable_params() if "weight" in p.name]
rest = [p for p in net.trainable_params() if "weight" not in p.name]
group_params = [
    {"params": conv, "weight_decay": 0.01, "lr": 0.02, "grad_centralization": True},
    {"params": rest},
    {"order_params": net.trainable_params()},
]
opt = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9)
