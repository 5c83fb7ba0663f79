"""Modulated convolutions: StyleGAN3's (with input gain, no resampling) and StyleGAN2's (with
optional up/downsampling, noise, and the fused or non-fused execution order)."""

import numpy as np
import torch

from sg3.ops import _impl
from sg3.ops import conv2d_resample as conv2d_resample_op
from sg3.ops import fast_conv
from sg3.ops._utils import check_shape

#----------------------------------------------------------------------------

def modulated_conv2d_sg3(
    x:          torch.Tensor,           # Input: [batch_size, in_channels, in_height, in_width].
    w:          torch.Tensor,           # Weight: [out_channels, in_channels, kernel_height, kernel_width].
    s:          torch.Tensor,           # Styles: [batch_size, in_channels].
    demodulate: bool = True,            # Apply weight demodulation?
    padding     = 0,                    # Padding: int or [padH, padW].
    input_gain: torch.Tensor|None = None, # Scale factors for the input channels: [], [in_channels] or [batch_size, in_channels].
    impl:       str = 'auto',           # 'auto' (fast where it applies, see sg3.ops.set_default_impl), 'ref' or 'fast'.
) -> torch.Tensor:
    """StyleGAN3's modulated convolution, executed as one grouped convolution."""
    check_shape(w, [None, None, None, None], 'w')
    out_channels, in_channels, kh, kw = w.shape
    check_shape(x, [None, in_channels, None, None], 'x')
    batch_size = int(x.shape[0])
    check_shape(s, [batch_size, in_channels], 's')
    impl = _impl.measured(impl, 'modulated_conv2d_sg3', _impl.shape_class(x, out_channels, kh, kw, str(padding)),
        lambda choice: modulated_conv2d_sg3(x, w, s, demodulate, padding, input_gain, impl=choice), x, w, s)

    # Pre-normalize inputs.
    if demodulate:
        w = w * w.square().mean([1, 2, 3], keepdim=True).rsqrt()
        s = s * s.square().mean().rsqrt()

    # Modulate weights.
    w = w.unsqueeze(0) # [NOIkk]
    w = w * s.unsqueeze(1).unsqueeze(3).unsqueeze(4) # [NOIkk]

    # Demodulate weights.
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt() # [NO]
        w = w * dcoefs.unsqueeze(2).unsqueeze(3).unsqueeze(4) # [NOIkk]

    # Apply input scaling.
    if input_gain is not None:
        input_gain = input_gain.expand(batch_size, in_channels) # [NI]
        w = w * input_gain.unsqueeze(1).unsqueeze(3).unsqueeze(4) # [NOIkk]

    # Execute as one fused op using grouped convolution, in the precision asked for (see use_conv_dtype),
    # except where float32 runs the Winograd path: that beats a direct bfloat16 convolution (measured).
    dtype = x.dtype
    conv_dtype = _impl.get_conv_dtype() or dtype
    x = x.reshape(1, -1, *x.shape[2:])
    w = w.reshape(-1, in_channels, kh, kw)
    fast = isinstance(padding, int) and _impl.resolve(impl, x, w) == 'fast'
    if fast and conv_dtype != dtype and fast_conv.applies(x, w.to(dtype)):
        conv_dtype = dtype
    if fast:
        x = fast_conv.conv2d(x.to(conv_dtype), w.to(conv_dtype), padding=padding, groups=batch_size)
    else:
        x = torch.nn.functional.conv2d(x.to(conv_dtype), w.to(conv_dtype), padding=padding, groups=batch_size)
    return x.reshape(batch_size, -1, *x.shape[2:]).to(dtype)

#----------------------------------------------------------------------------

def modulated_conv2d_sg2(
    x:                  torch.Tensor,           # Input: [batch_size, in_channels, in_height, in_width].
    weight:             torch.Tensor,           # Weight: [out_channels, in_channels, kernel_height, kernel_width].
    styles:             torch.Tensor,           # Styles: [batch_size, in_channels].
    noise:              torch.Tensor|None = None, # Noise added after the convolution, broadcastable to the output.
    up:                 int = 1,                # Integer upsampling factor.
    down:               int = 1,                # Integer downsampling factor.
    padding:            int = 0,                # Padding wrt. the upsampled image.
    resample_filter:    torch.Tensor|None = None, # Low-pass filter for up/downsampling.
    demodulate:         bool = True,            # Apply weight demodulation?
    flip_weight:        bool = True,            # False = convolution, True = correlation.
    fused_modconv:      bool = True,            # One grouped convolution (True) or scale activations around a shared one (False)?
    impl:               str = 'auto',           # 'auto' (fast where it applies, see sg3.ops.set_default_impl), 'ref' or 'fast'.
) -> torch.Tensor:
    """StyleGAN2's modulated convolution."""
    check_shape(weight, [None, None, None, None], 'weight')
    out_channels, in_channels, kh, kw = weight.shape
    check_shape(x, [None, in_channels, None, None], 'x')
    batch_size = int(x.shape[0])
    check_shape(styles, [batch_size, in_channels], 'styles')
    impl = _impl.measured(impl, 'modulated_conv2d_sg2', _impl.shape_class(x, out_channels, kh, kw, up, down, padding, fused_modconv),
        lambda choice: modulated_conv2d_sg2(x, weight, styles, noise, up, down, padding, resample_filter, demodulate, flip_weight,
        fused_modconv, impl=choice), x, weight, styles)

    # Pre-normalize inputs to avoid FP16 overflow.
    if x.dtype == torch.float16 and demodulate:
        weight = weight * (1 / np.sqrt(in_channels * kh * kw) / weight.norm(float('inf'), dim=[1, 2, 3], keepdim=True)) # max_Ikk
        styles = styles / styles.norm(float('inf'), dim=1, keepdim=True) # max_I

    # Calculate per-sample weights and demodulation coefficients.
    w = None
    dcoefs = None
    if demodulate or fused_modconv:
        w = weight.unsqueeze(0) # [NOIkk]
        w = w * styles.reshape(batch_size, 1, -1, 1, 1) # [NOIkk]
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt() # [NO]
    if demodulate and fused_modconv:
        w = w * dcoefs.reshape(batch_size, -1, 1, 1, 1) # [NOIkk]

    # Execute by scaling the activations before and after the convolution.
    if not fused_modconv:
        x = x * styles.to(x.dtype).reshape(batch_size, -1, 1, 1)
        x = conv2d_resample_op.conv2d_resample(x=x, w=weight.to(x.dtype), f=resample_filter, up=up, down=down, padding=padding, flip_weight=flip_weight)
        if demodulate and noise is not None:
            return torch.addcmul(noise.to(x.dtype), x, dcoefs.to(x.dtype).reshape(batch_size, -1, 1, 1))
        if demodulate:
            return x * dcoefs.to(x.dtype).reshape(batch_size, -1, 1, 1)
        if noise is not None:
            return x.add_(noise.to(x.dtype))
        return x

    # Execute as one fused op using grouped convolution. Only the stride-1 convolutions honour use_conv_dtype
    # (the resampling ones filter through upfirdn2d, which stays in the input's precision).
    dtype = x.dtype
    conv_dtype = _impl.get_conv_dtype() or dtype
    x = x.reshape(1, -1, *x.shape[2:])
    w = w.reshape(-1, in_channels, kh, kw)
    if up == 1 and down == 1 and conv_dtype != dtype:
        w = w if flip_weight else w.flip([2, 3])
        x = torch.nn.functional.conv2d(x.to(conv_dtype), w.to(conv_dtype), padding=padding, groups=batch_size).to(dtype)
    elif up == 1 and down == 1 and isinstance(padding, int) and _impl.resolve(impl, x, w) == 'fast' and fast_conv.applies(x, w, min_pairs=256 * 256):
        w = w if flip_weight else w.flip([2, 3]) # Pays from 256 channels (measured).
        x = fast_conv.conv2d(x, w.to(x.dtype), padding=padding, groups=batch_size, min_pairs=256 * 256)
    else:
        x = conv2d_resample_op.conv2d_resample(x=x, w=w.to(x.dtype), f=resample_filter, up=up, down=down, padding=padding, groups=batch_size, flip_weight=flip_weight)
    x = x.reshape(batch_size, -1, *x.shape[2:])
    if noise is not None:
        x = x.add_(noise)
    return x

#----------------------------------------------------------------------------
