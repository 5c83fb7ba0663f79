"""Fused bias + activation + gain + clamp, in the semantics of NVIDIA's torch_utils.ops.bias_act."""

import dataclasses
from typing import Callable

import numpy as np
import torch

from sg3.errors import OpArgumentError
from sg3.ops._utils import check_bias, check_number, check_tensor

#----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Activation:
    func:       Callable[[torch.Tensor, float], torch.Tensor]  # f(x, alpha).
    def_alpha:  float                                           # Default alpha (slope of leaky ReLU).
    def_gain:   float                                           # Default gain that preserves signal magnitude.

activation_funcs = {
    'linear':   Activation(lambda x, alpha: x,                                          def_alpha=0,   def_gain=1),
    'relu':     Activation(lambda x, alpha: torch.nn.functional.relu(x),                def_alpha=0,   def_gain=np.sqrt(2)),
    'lrelu':    Activation(lambda x, alpha: torch.nn.functional.leaky_relu(x, alpha),   def_alpha=0.2, def_gain=np.sqrt(2)),
    'tanh':     Activation(lambda x, alpha: torch.tanh(x),                              def_alpha=0,   def_gain=1),
    'sigmoid':  Activation(lambda x, alpha: torch.sigmoid(x),                           def_alpha=0,   def_gain=1),
    'elu':      Activation(lambda x, alpha: torch.nn.functional.elu(x),                 def_alpha=0,   def_gain=1),
    'selu':     Activation(lambda x, alpha: torch.nn.functional.selu(x),                def_alpha=0,   def_gain=1),
    'softplus': Activation(lambda x, alpha: torch.nn.functional.softplus(x),            def_alpha=0,   def_gain=1),
    'swish':    Activation(lambda x, alpha: torch.sigmoid(x) * x,                       def_alpha=0,   def_gain=np.sqrt(2)),
}

#----------------------------------------------------------------------------

def bias_act(
    x:      torch.Tensor,           # Input activations of any shape.
    b:      torch.Tensor|None = None, # Bias of shape [x.shape[dim]], or None.
    dim:    int = 1,                # The dimension of `x` that `b` runs along.
    act:    str = 'linear',         # Activation name, see `activation_funcs`.
    alpha:  float|None = None,      # Activation parameter (leaky ReLU slope); None = default.
    gain:   float|None = None,      # Scale after the activation; None = the activation's default.
    clamp:  float|None = None,      # Clamp the output to [-clamp, +clamp]; None = no clamping.
) -> torch.Tensor:
    """Add bias, apply the activation, scale by gain, clamp. Raises OpArgumentError (OpTypeError for a wrong
    type) for arguments it does not take."""
    check_tensor(x, 'x')
    if act not in activation_funcs:
        raise OpArgumentError(f'unknown activation {act!r}; expected one of {sorted(activation_funcs)}')
    spec = activation_funcs[act]
    alpha = check_number(alpha if alpha is not None else spec.def_alpha, 'alpha')
    gain = check_number(gain if gain is not None else spec.def_gain, 'gain')
    clamp = -1 if clamp is None else check_number(clamp, 'clamp', minimum=0)

    # Add bias.
    if b is not None:
        if not (isinstance(dim, int) and 0 <= dim < x.ndim):
            raise OpArgumentError(f'dim={dim!r} for x of shape {list(x.shape)}: expected 0 <= dim < {x.ndim}')
        check_bias(b, x, dim)
        x = x + b.reshape([-1 if i == dim else 1 for i in range(x.ndim)])

    # Evaluate the activation, scale and clamp.
    x = spec.func(x, alpha)
    if gain != 1:
        x = x * gain
    if clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x

#----------------------------------------------------------------------------
