# open-mmlab/mmdetection configs/rtmdet/rtmdet_l_8xb32-300e_coco.py
# (commit 08189919e514c3a89ad1a03056fa5e225bcc2611), Apache-2.0. The schedule, optimizer and loop
# parts, verbatim; the model, pipelines, dataloaders, hooks and TTA settings (and the runtime and
# dataset bases) are left out: they set no optimizer, scheduler or loop.
_base_ = [
    '../_base_/schedules/schedule_1x.py',
]

max_epochs = 300
stage2_num_epochs = 20
base_lr = 0.004
interval = 10

train_cfg = dict(
    max_epochs=max_epochs,
    val_interval=interval,
    dynamic_intervals=[(max_epochs - stage2_num_epochs, 1)])

# optimizer
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0, bias_decay_mult=0, bypass_duplicate=True))

# learning rate
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0e-5,
        by_epoch=False,
        begin=0,
        end=1000),
    dict(
        # use cosine lr from 150 to 300 epoch
        type='CosineAnnealingLR',
        eta_min=base_lr * 0.05,
        begin=max_epochs // 2,
        end=max_epochs,
        T_max=max_epochs // 2,
        by_epoch=True,
        convert_to_iter_based=True),
]
