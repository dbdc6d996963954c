import oneflow as flow

model = flow.nn.Linear(4, 2)
opt = flow.optim.Adam(model.parameters(), lr=1e-3)
graph = flow.nn.Graph()
graph.add_optimizer(opt)
for epoch in range(3):
    opt.param_groups[0]["lr"] = 1e-3 * 0.5 ** epoch  # expect: LRB003
