import torch.optim as optim
from torch.optim.lr_scheduler import ChainedScheduler, ExponentialLR, LambdaLR

opt = optim.Adam([], lr=1e-3)
sched = ChainedScheduler([ExponentialLR(opt, 0.99), LambdaLR(opt, lambda t: min(1.0, (t + 1) / 100))], optimizer=opt)  # expect: LRB007
