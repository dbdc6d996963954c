# open-mmlab/mmpretrain configs/_base_/schedules/cifar10_bs128.py
# (commit 24bcf069f8386d1191531210bd82ba9f9d626b5d), verbatim, Apache-2.0
# optimizer
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))
# learning policy
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[100, 150], gamma=0.1)

# train, val, test setting
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
