# open-mmlab/mmpretrain configs/mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py
# (commit 2979f69164fa943ee59cc5ce26369924bca9a9ba), verbatim, Apache-2.0
_base_ = 'mae_vit-base-p16_8xb512-coslr-400e_in1k.py'

# mixed precision
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
