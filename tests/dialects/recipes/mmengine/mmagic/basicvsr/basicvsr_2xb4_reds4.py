# open-mmlab/mmagic configs/basicvsr/basicvsr_2xb4_reds4.py
# (commit 0712b813951a99c3927c6f11efb5a6675c16e158), Apache-2.0. The train loop, optimizer and
# learning-policy parts, verbatim; the runtime/dataset bases, model, pipelines, dataloaders,
# evaluators and hooks are left out (they set no optimizer, scheduler or loop).
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=300_000, val_interval=5000)
val_cfg = dict(type='MultiValLoop')

# optimizer
optim_wrapper = dict(
    constructor='DefaultOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.99)),
    paramwise_cfg=dict(custom_keys={'spynet': dict(lr_mult=0.125)}))

# learning policy
param_scheduler = dict(
    type='CosineRestartLR',
    by_epoch=False,
    periods=[300000],
    restart_weights=[1],
    eta_min=1e-7)

find_unused_parameters = True
