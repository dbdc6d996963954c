from mindspore import nn
from mindspore.experimental import optim

net = nn.Dense(4, 2)
opt = optim.SGD([{"params": net.trainable_params(), "lr": 0.1, "momentum": 0.9}], lr=0.1)
