import oneflow as flow

model = flow.nn.Linear(4, 2)
optimizer = flow.optim.SGD(model.parameters(), lr=1e-3)
for step in range(100):
    optimizer.step()
    for pg in optimizer.param_groups:
        pg["lr"] *= 0.99
