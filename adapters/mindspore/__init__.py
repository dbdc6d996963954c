"""MindSpore adapter: IR <-> dynamic_lr lists, LearningRateSchedule cells, group_params, experimental.optim."""
