"""OneFlow adapter: IR <-> OneFlow eager schedulers and nn.Graph (lr_scale). Runs under the OneFlow interpreter."""
