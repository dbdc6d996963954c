# open-mmlab/mmpretrain (then mmclassification 0.x) configs/_base_/schedules/imagenet_bs2048_coslr.py
# (commit 02fedea525507213af58825d437889f04c44112f), verbatim, Apache-2.0: an mmcv 1.x config
# optimizer
optimizer = dict(
    type='SGD', lr=0.8, momentum=0.9, weight_decay=0.0001, nesterov=True)
optimizer_config = dict(grad_clip=None)
# learning policy
lr_config = dict(
    policy='CosineAnealing',
    min_lr=0,
    warmup='linear',
    warmup_iters=2500,
    warmup_ratio=0.25)
total_epochs = 100
