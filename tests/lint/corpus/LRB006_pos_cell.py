from mindspore import nn

net = nn.Dense(4, 2)
p = net.trainable_params()
sched = nn.PolynomialDecayLR(0.1, 0.0, 1000, 1.0)
opt = nn.Adam([{"params": p[:1], "lr": sched}, {"params": p[1:], "lr": 1.234567e-5}], learning_rate=0.1)  # expect: LRB006
