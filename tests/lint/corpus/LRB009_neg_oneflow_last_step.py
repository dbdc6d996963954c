import oneflow as flow

opt = flow.optim.SGD(flow.nn.Linear(4, 2).parameters(), lr=0.1)
sched = flow.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100, last_step=41)
