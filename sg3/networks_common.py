"""Pieces shared by the StyleGAN2 and StyleGAN3 generators: the fully-connected layer, the mapping
network, and the checks that turn a user's wrong latent into a clear error."""

import numbers

import numpy as np
import torch

from sg3.errors import Sg3Error
from sg3.ops import bias_act

#----------------------------------------------------------------------------

NOISE_MODES = ('random', 'const', 'none')

def check_latents(
    name:       str,                # What the tensor is called in messages ('z', 'c', 'ws').
    value,                          # The value the user passed.
    shape:      list,               # Expected shape; None entries match any size.
    batch_size: int|None = None,    # Expected batch size, when it is already known.
) -> torch.Tensor:
    """Return `value` if it is a floating-point tensor of the expected shape, else raise Sg3Error."""
    shape = [batch_size if idx == 0 and batch_size is not None else size for idx, size in enumerate(shape)]
    expected = '[' + ', '.join('N' if size is None else str(size) for size in shape) + ']'
    if not isinstance(value, torch.Tensor):
        raise Sg3Error(f'{name} must be a torch.Tensor of shape {expected}, got {type(value).__name__}')
    if not (value.is_floating_point() or (value.numel() == 0)):
        raise Sg3Error(f'{name} must be a floating-point tensor, got dtype {value.dtype}')
    if value.ndim != len(shape) or any(ref is not None and size != ref for size, ref in zip(value.shape, shape)):
        raise Sg3Error(f'{name} must have shape {expected}, got {list(value.shape)}')
    return value

def check_truncation(truncation_psi, truncation_cutoff, num_ws: int) -> None:
    """Raise Sg3Error unless psi is a finite number and cutoff is None or an int in [0, num_ws]."""
    if not isinstance(truncation_psi, numbers.Real) or not np.isfinite(float(truncation_psi)):
        raise Sg3Error(f'truncation_psi must be a finite number, got {truncation_psi!r}')
    if truncation_cutoff is not None:
        if not isinstance(truncation_cutoff, numbers.Integral) or not 0 <= int(truncation_cutoff) <= num_ws:
            raise Sg3Error(f'truncation_cutoff must be None or an integer from 0 to num_ws = {num_ws}, got {truncation_cutoff!r}')

def check_noise_mode(noise_mode: str) -> None:
    if noise_mode not in NOISE_MODES:
        raise Sg3Error(f'noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}')

def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()

#----------------------------------------------------------------------------

class FullyConnectedLayer(torch.nn.Module):
    def __init__(self,
        in_features,                # Number of input features.
        out_features,               # Number of output features.
        activation      = 'linear', # Activation function: 'relu', 'lrelu', etc.
        bias            = True,     # Apply additive bias before the activation function?
        lr_multiplier   = 1.0,      # Learning rate multiplier (scales the stored weights at run time).
        weight_init     = 1.0,      # Initial standard deviation of the weight tensor.
        bias_init       = 0.0,      # Initial value of the additive bias: scalar or [out_features].
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.activation = activation
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.weight = torch.nn.Parameter(torch.randn([out_features, in_features]) * (weight_init / lr_multiplier))
        bias_init = np.broadcast_to(np.asarray(bias_init, dtype=np.float32), [out_features])
        self.bias = torch.nn.Parameter(torch.from_numpy(bias_init / lr_multiplier)) if bias else None

    def forward(self, x):
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias
        if b is not None:
            b = b.to(x.dtype)
            if self.bias_gain != 1:
                b = b * self.bias_gain
        if self.activation == 'linear' and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        x = x.matmul(w.t())
        return bias_act.bias_act(x, b, act=self.activation)

    def extra_repr(self):
        return f'in_features={self.in_features:d}, out_features={self.out_features:d}, activation={self.activation:s}'

#----------------------------------------------------------------------------

class MappingNetwork(torch.nn.Module):
    def __init__(self,
        z_dim,                      # Input latent (Z) dimensionality.
        c_dim,                      # Conditioning label (C) dimensionality, 0 = no labels.
        w_dim,                      # Intermediate latent (W) dimensionality.
        num_ws,                     # Number of intermediate latents to output.
        num_layers      = 2,        # Number of mapping layers (StyleGAN3: 2, StyleGAN2: 8).
        embed_features  = None,     # Label embedding dimensionality, None = same as w_dim.
        layer_features  = None,     # Number of intermediate features, None = same as w_dim.
        activation      = 'lrelu',  # Activation function of the layers.
        lr_multiplier   = 0.01,     # Learning rate multiplier for the mapping layers.
        w_avg_beta      = 0.998,    # Decay for tracking the moving average of W during training.
        **unused_kwargs,            # Training-only options (freeze_layers, freeze_embed) ignored.
    ):
        super().__init__()
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.num_ws = num_ws
        self.num_layers = num_layers
        self.w_avg_beta = w_avg_beta
        embed_features = (w_dim if embed_features is None else embed_features) if c_dim > 0 else 0
        layer_features = w_dim if layer_features is None else layer_features

        # Construct layers.
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        features = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
        for idx in range(num_layers):
            layer = FullyConnectedLayer(features[idx], features[idx + 1], activation=activation, lr_multiplier=lr_multiplier)
            setattr(self, f'fc{idx}', layer)
        self.register_buffer('w_avg', torch.zeros([w_dim]))

    def forward(self, z, c=None, truncation_psi=1, truncation_cutoff=None, update_emas=False):
        check_latents('z', z, [None, self.z_dim])
        check_truncation(truncation_psi, truncation_cutoff, self.num_ws)
        if self.c_dim > 0:
            if c is None:
                raise Sg3Error(f'this network is conditional: c must be a [N, {self.c_dim}] tensor of class labels, got None')
            check_latents('c', c, [None, self.c_dim], batch_size=z.shape[0])
        if truncation_cutoff is None:
            truncation_cutoff = self.num_ws

        # Embed, normalize, and concatenate inputs.
        x = normalize_2nd_moment(z.to(torch.float32))
        if self.c_dim > 0:
            y = normalize_2nd_moment(self.embed(c.to(torch.float32)))
            x = torch.cat([x, y], dim=1)

        # Execute layers.
        for idx in range(self.num_layers):
            x = getattr(self, f'fc{idx}')(x)

        # Update the moving average of W.
        if update_emas:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))

        # Broadcast and apply truncation.
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            x[:, :truncation_cutoff] = self.w_avg.lerp(x[:, :truncation_cutoff], truncation_psi)
        return x

    def extra_repr(self):
        return f'z_dim={self.z_dim:d}, c_dim={self.c_dim:d}, w_dim={self.w_dim:d}, num_ws={self.num_ws:d}'

#----------------------------------------------------------------------------

class GeneratorBase(torch.nn.Module):
    """The public surface both generators share: G(z, c), G.mapping, G.synthesis and the dimensions."""

    architecture: str = ''

    def __init__(self,
        z_dim,              # Input latent (Z) dimensionality.
        c_dim,              # Conditioning label (C) dimensionality.
        w_dim,              # Intermediate latent (W) dimensionality.
        img_resolution,     # Output resolution.
        img_channels,       # Number of output color channels.
        make_synthesis,     # Callable returning the synthesis network (constructed first, as NVIDIA's order).
        mapping_kwargs,     # Arguments for MappingNetwork.
    ):
        super().__init__()
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.synthesis = make_synthesis()
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, num_ws=self.num_ws, **mapping_kwargs)

    def forward(self, z, c=None, truncation_psi=1, truncation_cutoff=None, update_emas=False, **synthesis_kwargs):
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff, update_emas=update_emas)
        return self.synthesis(ws, update_emas=update_emas, **synthesis_kwargs)

    @property
    def has_input_transform(self) -> bool:
        return hasattr(self.synthesis, 'input') and hasattr(self.synthesis.input, 'transform')

    @property
    def has_noise(self) -> bool:
        return any(name.endswith('noise_const') for name, _ in self.named_buffers())

#----------------------------------------------------------------------------
