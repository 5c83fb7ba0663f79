"""StyleGAN2 generator as in NVIDIA's stylegan3 repository (and StyleGAN2-ADA PyTorch): skip
architecture, noise inputs, conv clamp. Same numbers and state-dict keys as NVIDIA's implementation."""

import numpy as np
import torch

from sg3.errors import Sg3Error
from sg3.networks_common import FullyConnectedLayer, GeneratorBase, MappingNetwork, check_latents, check_noise_mode
from sg3.ops import bias_act, upfirdn2d
from sg3.ops._utils import assert_shape
from sg3.ops.modulated_conv import modulated_conv2d_sg2

#----------------------------------------------------------------------------

class SynthesisLayer(torch.nn.Module):
    def __init__(self,
        in_channels,                    # Number of input channels.
        out_channels,                   # Number of output channels.
        w_dim,                          # Intermediate latent (W) dimensionality.
        resolution,                     # Resolution of this layer.
        kernel_size     = 3,            # Convolution kernel size.
        up              = 1,            # Integer upsampling factor.
        use_noise       = True,         # Enable noise input?
        activation      = 'lrelu',      # Activation function: 'relu', 'lrelu', etc.
        resample_filter = [1, 3, 3, 1], # Low-pass filter to apply when resampling activations.
        conv_clamp      = None,         # Clamp the output of convolution layers to +-X, None = disable clamping.
        channels_last   = False,        # Use channels_last format for the weights? (Training speed option; ignored.)
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.w_dim = w_dim
        self.resolution = resolution
        self.up = up
        self.use_noise = use_noise
        self.activation = activation
        self.conv_clamp = conv_clamp
        self.register_buffer('resample_filter', upfirdn2d.setup_filter(resample_filter))
        self.padding = kernel_size // 2
        self.act_gain = bias_act.activation_funcs[activation].def_gain

        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        if use_noise:
            self.register_buffer('noise_const', torch.randn([resolution, resolution]))
            self.noise_strength = torch.nn.Parameter(torch.zeros([]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))

    def forward(self, x, w, noise_mode='random', fused_modconv=True, gain=1):
        check_noise_mode(noise_mode)
        in_resolution = self.resolution // self.up
        assert_shape(x, [None, self.in_channels, in_resolution, in_resolution])
        styles = self.affine(w)

        # Choose the noise.
        noise = None
        if self.use_noise and noise_mode == 'random':
            noise = torch.randn([x.shape[0], 1, self.resolution, self.resolution], device=x.device) * self.noise_strength
        if self.use_noise and noise_mode == 'const':
            noise = self.noise_const * self.noise_strength

        # Modulated convolution, then bias, activation and clamp.
        flip_weight = (self.up == 1) # slightly faster
        x = modulated_conv2d_sg2(x=x, weight=self.weight, styles=styles, noise=noise, up=self.up,
            padding=self.padding, resample_filter=self.resample_filter, flip_weight=flip_weight, fused_modconv=fused_modconv)
        act_gain = self.act_gain * gain
        act_clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act.bias_act(x, self.bias.to(x.dtype), act=self.activation, gain=act_gain, clamp=act_clamp)

    def extra_repr(self):
        return (f'in_channels={self.in_channels:d}, out_channels={self.out_channels:d}, w_dim={self.w_dim:d}, '
            f'resolution={self.resolution:d}, up={self.up}, activation={self.activation:s}')

#----------------------------------------------------------------------------

class ToRGBLayer(torch.nn.Module):
    def __init__(self,
        in_channels,            # Number of input channels.
        out_channels,           # Number of output (color) channels.
        w_dim,                  # Intermediate latent (W) dimensionality.
        kernel_size     = 1,    # Convolution kernel size.
        conv_clamp      = None, # Clamp the output to +-X, None = disable clamping.
        channels_last   = False, # Training speed option; ignored.
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.w_dim = w_dim
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / np.sqrt(in_channels * (kernel_size ** 2))

    def forward(self, x, w, fused_modconv=True):
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d_sg2(x=x, weight=self.weight, styles=styles, demodulate=False, fused_modconv=fused_modconv)
        return bias_act.bias_act(x, self.bias.to(x.dtype), clamp=self.conv_clamp)

    def extra_repr(self):
        return f'in_channels={self.in_channels:d}, out_channels={self.out_channels:d}, w_dim={self.w_dim:d}'

#----------------------------------------------------------------------------

class SynthesisBlock(torch.nn.Module):
    def __init__(self,
        in_channels,                            # Number of input channels, 0 = first block.
        out_channels,                           # Number of output channels.
        w_dim,                                  # Intermediate latent (W) dimensionality.
        resolution,                             # Resolution of this block.
        img_channels,                           # Number of output color channels.
        is_last,                                # Is this the last block?
        architecture            = 'skip',       # Architecture: 'orig', 'skip', 'resnet' (only 'skip' is supported).
        resample_filter         = [1, 3, 3, 1], # Low-pass filter to apply when resampling activations.
        conv_clamp              = 256,          # Clamp the output of convolution layers to +-X, None = disable clamping.
        use_fp16                = False,        # Use FP16 for this block (on CUDA)?
        fp16_channels_last      = False,        # Training speed option; ignored.
        fused_modconv_default   = True,         # Default value of fused_modconv: True, False or 'inference_only'.
        **layer_kwargs,                         # Arguments for SynthesisLayer.
    ):
        if architecture != 'skip':
            raise Sg3Error(f'StyleGAN2 architecture {architecture!r}: only \'skip\' is supported (the published generators use it)')
        super().__init__()
        self.in_channels = in_channels
        self.w_dim = w_dim
        self.resolution = resolution
        self.img_channels = img_channels
        self.is_last = is_last
        self.architecture = architecture
        self.use_fp16 = use_fp16
        self.fused_modconv_default = fused_modconv_default
        self.register_buffer('resample_filter', upfirdn2d.setup_filter(resample_filter))
        self.num_conv = 0
        self.num_torgb = 0

        if in_channels == 0:
            self.const = torch.nn.Parameter(torch.randn([out_channels, resolution, resolution]))
        if in_channels != 0:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim=w_dim, resolution=resolution, up=2,
                resample_filter=resample_filter, conv_clamp=conv_clamp, **layer_kwargs)
            self.num_conv += 1
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim=w_dim, resolution=resolution,
            conv_clamp=conv_clamp, **layer_kwargs)
        self.num_conv += 1
        self.torgb = ToRGBLayer(out_channels, img_channels, w_dim=w_dim, conv_clamp=conv_clamp)
        self.num_torgb += 1

    def forward(self, x, img, ws, force_fp32=False, fused_modconv=None, update_emas=False, **layer_kwargs):
        assert_shape(ws, [None, self.num_conv + self.num_torgb, self.w_dim])
        w_iter = iter(ws.unbind(dim=1))
        if ws.device.type != 'cuda':
            force_fp32 = True
        dtype = torch.float16 if self.use_fp16 and not force_fp32 else torch.float32
        if fused_modconv is None:
            fused_modconv = self.fused_modconv_default
        if fused_modconv == 'inference_only':
            fused_modconv = (not self.training)

        # Input.
        if self.in_channels == 0:
            x = self.const.to(dtype=dtype)
            x = x.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
        else:
            assert_shape(x, [None, self.in_channels, self.resolution // 2, self.resolution // 2])
            x = x.to(dtype=dtype)

        # Main layers.
        if self.in_channels == 0:
            x = self.conv1(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
        else:
            x = self.conv0(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
            x = self.conv1(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)

        # ToRGB, added to the upsampled image of the previous block.
        if img is not None:
            assert_shape(img, [None, self.img_channels, self.resolution // 2, self.resolution // 2])
            img = upfirdn2d.upsample2d(img, self.resample_filter)
        y = self.torgb(x, next(w_iter), fused_modconv=fused_modconv)
        y = y.to(dtype=torch.float32)
        img = img.add_(y) if img is not None else y

        assert x.dtype == dtype
        assert img.dtype == torch.float32
        return x, img

#----------------------------------------------------------------------------

class SynthesisNetwork(torch.nn.Module):
    def __init__(self,
        w_dim,                  # Intermediate latent (W) dimensionality.
        img_resolution,         # Output image resolution.
        img_channels,           # Number of color channels.
        channel_base    = 32768, # Overall multiplier for the number of channels.
        channel_max     = 512,  # Maximum number of channels in any layer.
        num_fp16_res    = 4,    # Use FP16 for the N highest resolutions (on CUDA).
        **block_kwargs,         # Arguments for SynthesisBlock.
    ):
        if isinstance(img_resolution, bool) or not isinstance(img_resolution, int) or img_resolution < 4 or img_resolution & (img_resolution - 1):
            raise Sg3Error(f'img_resolution = {img_resolution!r}: expected a power of two >= 4')
        super().__init__()
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_resolution_log2 = int(np.log2(img_resolution))
        self.img_channels = img_channels
        self.num_fp16_res = num_fp16_res
        self.block_resolutions = [2 ** i for i in range(2, self.img_resolution_log2 + 1)]
        channels_dict = {res: min(channel_base // res, channel_max) for res in self.block_resolutions}
        fp16_resolution = max(2 ** (self.img_resolution_log2 + 1 - num_fp16_res), 8)

        self.num_ws = 0
        for res in self.block_resolutions:
            in_channels = channels_dict[res // 2] if res > 4 else 0
            is_last = (res == self.img_resolution)
            block = SynthesisBlock(in_channels, channels_dict[res], w_dim=w_dim, resolution=res,
                img_channels=img_channels, is_last=is_last, use_fp16=(res >= fp16_resolution), **block_kwargs)
            self.num_ws += block.num_conv
            if is_last:
                self.num_ws += block.num_torgb
            setattr(self, f'b{res}', block)

    def forward(self, ws, noise_mode='random', **block_kwargs):
        check_latents('ws', ws, [None, self.num_ws, self.w_dim])
        check_noise_mode(noise_mode)

        # Split ws between the blocks: each block's ToRGB shares its W with the next block's first conv.
        ws = ws.to(torch.float32)
        block_ws = []
        w_idx = 0
        for res in self.block_resolutions:
            block = getattr(self, f'b{res}')
            block_ws.append(ws.narrow(1, w_idx, block.num_conv + block.num_torgb))
            w_idx += block.num_conv

        # Execute blocks.
        x = img = None
        for res, cur_ws in zip(self.block_resolutions, block_ws):
            x, img = getattr(self, f'b{res}')(x, img, cur_ws, noise_mode=noise_mode, **block_kwargs)
        return img

    def extra_repr(self):
        return (f'w_dim={self.w_dim:d}, num_ws={self.num_ws:d}, img_resolution={self.img_resolution:d}, '
            f'img_channels={self.img_channels:d}, num_fp16_res={self.num_fp16_res:d}')

#----------------------------------------------------------------------------

class Generator(GeneratorBase):
    def __init__(self,
        z_dim,                      # Input latent (Z) dimensionality.
        c_dim,                      # Conditioning label (C) dimensionality.
        w_dim,                      # Intermediate latent (W) dimensionality.
        img_resolution,             # Output resolution.
        img_channels,               # Number of output color channels.
        mapping_kwargs      = {},   # Arguments for MappingNetwork.
        synthesis_kwargs    = {},   # Arguments for SynthesisNetwork, as StyleGAN2-ADA files record them.
        **more_synthesis_kwargs,    # Arguments for SynthesisNetwork, as the stylegan3 repository records them.
    ):
        super().__init__(z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs={'num_layers': 8, **mapping_kwargs},
            make_synthesis=lambda: SynthesisNetwork(w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels,
                **{**synthesis_kwargs, **more_synthesis_kwargs}))
        self.init_kwargs = dict(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels,
            mapping_kwargs=dict(mapping_kwargs), synthesis_kwargs=dict(synthesis_kwargs), **more_synthesis_kwargs)
        self.architecture = 'stylegan2'

#----------------------------------------------------------------------------
