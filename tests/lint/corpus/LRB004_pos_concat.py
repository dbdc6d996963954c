import mindspore as ms
from mindspore import nn

spe = 100
warm = nn.warmup_lr(0.1, 5 * spe, spe, 5)
decay = nn.cosine_decay_lr(0.0, 0.1, 85 * spe, spe, 85)
lr_list = warm + decay
net = nn.Dense(4, 2)
opt = nn.SGD(net.trainable_params(), learning_rate=lr_list)  # expect: LRB004
model = ms.Model(net, None, opt)
model.train(100, None)
