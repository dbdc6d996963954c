from mindspore import nn

net = nn.Dense(4, 2)
p = net.trainable_params()
opt = nn.SGD([{"params": p[:1], "lr": 1e-9}, {"params": p[1:], "lr": 1.234567e-5}], learning_rate=0.1)
