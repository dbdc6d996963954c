"""PyTorch adapter: IR <-> torch.optim schedulers and param groups."""
