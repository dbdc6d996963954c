from mindspore import nn

net = nn.Dense(4, 2)
params = net.trainable_params()
head_lr = nn.cosine_decay_lr(0.0, 0.1, 1000, 1, 1000)
groups = [{"params": params[:1], "lr": head_lr}, {"params": params[1:], "lr": 1e-9}]  # expect: LRB006
opt = nn.SGD(groups, learning_rate=0.1)
