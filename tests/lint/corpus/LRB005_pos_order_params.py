import mindspore.nn as nn

net = nn.Dense(4, 2)
params = net.trainable_params()
group_params = [{"params": params[:1], "lr": 0.01}]
group_params.append({"params": params[1:], "lr_scale": 0.1})  # expect: LRB005
group_params.append({"order_params": params, "lr": 0.1})  # expect: LRB005
opt = nn.SGD(group_params, learning_rate=0.1)
