import mindspore as ms
from mindspore import nn

EPOCHS = 90
STEPS_PER_EPOCH = 1000
net = nn.Dense(4, 2)
# the lr was generated for the warmup epochs only
lr = nn.cosine_decay_lr(0.0, 0.1, total_step=5 * STEPS_PER_EPOCH, step_per_epoch=STEPS_PER_EPOCH, decay_epoch=5)
opt = nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=0.9)  # expect: LRB004
model = ms.Model(net, nn.MSELoss(), opt)
model.train(EPOCHS, None)
