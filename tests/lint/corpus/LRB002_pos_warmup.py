import oneflow as flow

opt = flow.optim.SGD(flow.nn.Linear(4, 2).parameters(), lr=0.1)
main = flow.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
sched = flow.optim.lr_scheduler.WarmupLR(main, warmup_factor=0.1, warmup_iters=50)  # expect: LRB002
