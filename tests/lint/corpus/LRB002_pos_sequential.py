import oneflow as flow
from oneflow.optim import lr_scheduler

model = flow.nn.Linear(4, 2)
opt = flow.optim.SGD(model.parameters(), lr=0.1)
warm = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=500)
cos = lr_scheduler.CosineAnnealingLR(opt, T_max=9500)
sched = lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[500])  # expect: LRB002
