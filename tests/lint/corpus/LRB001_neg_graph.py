import oneflow as flow

model = flow.nn.Linear(4, 2)
optimizer = flow.optim.SGD([{"params": model.weight, "lr_scale": 0.1}, {"params": model.bias}], lr=1e-3)


class TrainGraph(flow.nn.Graph):
    def __init__(self):
        super().__init__()
        self.model = model
        self.add_optimizer(optimizer)

    def build(self, x):
        loss = self.model(x).sum()
        loss.backward()
        return loss
