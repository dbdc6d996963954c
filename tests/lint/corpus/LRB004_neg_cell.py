from mindspore import nn

net = nn.Dense(4, 2)
lr = nn.CosineDecayLR(min_lr=0.0, max_lr=0.1, decay_steps=1000)
opt = nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=0.9)
