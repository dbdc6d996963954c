import oneflow as flow

model = flow.nn.Linear(4, 2)
optimizer = flow.optim.SGD(model.parameters(), lr=1e-3)
optimizer.param_groups[0]["lr"] = 2e-3  # set before the graph is built
sched = flow.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.9)


class G(flow.nn.Graph):
    def __init__(self):
        super().__init__()
        self.model = model
        self.add_optimizer(optimizer, lr_sch=sched)

    def build(self, x):
        loss = self.model(x).sum()
        loss.backward()
        return loss
