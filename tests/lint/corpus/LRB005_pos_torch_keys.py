from mindspore import nn

net = nn.Dense(4, 2)
decay = [p for p in net.trainable_params() if "weight" in p.name]
no_decay = [p for p in net.trainable_params() if "weight" not in p.name]
groups = [
    {"params": decay, "weight_decay": 0.05, "momentum": 0.8},  # expect: LRB005
    {"params": no_decay, "weight_decay": 0.0},
]
opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.9)
