from oneflow import nn, optim

net = nn.Linear(4, 2)
groups = [dict(params=net.weight.parameters(), lr_scale=0.5), dict(params=net.bias.parameters())]  # expect: LRB001
opt = optim.AdamW(groups, lr=3e-4)
