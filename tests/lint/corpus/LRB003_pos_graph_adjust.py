import oneflow as flow
import oneflow.nn as nn

model = nn.Linear(4, 2)
optimizer = flow.optim.SGD(model.parameters(), lr=1e-3)


class GraphNet(nn.Graph):
    def __init__(self):
        super().__init__()
        self.model = model
        self.add_optimizer(optimizer)

    def build(self, x):
        loss = self.model(x).sum()
        loss.backward()
        return loss


graph = GraphNet()
for step in range(100):
    graph(flow.ones(1, 4))
    if step % 10 == 0:
        for pg in optimizer.param_groups:
            pg["lr"] *= 0.9  # expect: LRB003
