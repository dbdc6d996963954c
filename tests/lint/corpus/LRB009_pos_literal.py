from torch import optim
from torch.optim.lr_scheduler import StepLR

opt = optim.SGD([], lr=0.1)
sched = StepLR(opt, step_size=30, gamma=0.1, last_epoch=59)  # expect: LRB009
