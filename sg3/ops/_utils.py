"""Argument parsing and checks shared by the ops. Anything a caller supplies is checked here and refused with
an OpArgumentError (OpTypeError for a wrong type or dtype) that names the argument and what was expected;
`assert_shape` is for our own invariants only."""

import math
import numbers

import torch

from sg3.errors import OpArgumentError, OpTypeError

#----------------------------------------------------------------------------

def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)

def parse_scaling(scaling: int | list | tuple, name: str = 'up') -> tuple[int, int]:
    """Up/down factor as (x, y); an int applies to both axes."""
    pair = [scaling, scaling] if _is_integer(scaling) else scaling
    if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(_is_integer(s) and s >= 1 for s in pair)):
        raise OpArgumentError(f'{name}={scaling!r}: expected an integer >= 1 or a pair [x, y] of them')
    return int(pair[0]), int(pair[1])

def check_factor(factor: int, name: str) -> int:
    """A resampling factor of one value for both axes: an integer >= 1."""
    if not (_is_integer(factor) and factor >= 1):
        raise OpArgumentError(f'{name}={factor!r}: expected an integer >= 1')
    return int(factor)

def parse_padding(padding: int | list | tuple, name: str = 'padding') -> tuple[int, int, int, int]:
    """Padding as (x0, x1, y0, y1) from an int, [px, py] or [px0, px1, py0, py1]; negative values crop."""
    pad = [padding, padding] if _is_integer(padding) else padding
    if not (isinstance(pad, (list, tuple)) and len(pad) in (2, 4) and all(_is_integer(p) for p in pad)):
        raise OpArgumentError(f'{name}={padding!r}: expected an integer, [x, y] or [x0, x1, y0, y1] of integers')
    pad = [int(p) for p in pad]
    if len(pad) == 2:
        pad = [pad[0], pad[0], pad[1], pad[1]]
    px0, px1, py0, py1 = pad
    return px0, px1, py0, py1

def check_number(value, name: str, minimum: float = -math.inf, strict: bool = False) -> float:
    """`value` as a float: a finite real number >= `minimum` (> `minimum` where `strict`)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and (value > minimum if strict else value >= minimum)):
        bound = '' if minimum == -math.inf else f' {">" if strict else ">="} {minimum:g}'
        raise OpArgumentError(f'{name}={value!r}: expected a finite number{bound}')
    return float(value)

#----------------------------------------------------------------------------

def check_tensor(value, name: str) -> None:
    if not isinstance(value, torch.Tensor):
        raise OpTypeError(f'{name} is a {type(value).__name__}: expected a torch.Tensor')

def check_image(x, name: str = 'x') -> None:
    """A floating-point tensor [N, C, H, W] with every size >= 1."""
    check_tensor(x, name)
    if x.ndim != 4 or x.numel() == 0:
        raise OpArgumentError(f'{name} of shape {list(x.shape)}: expected a 4-D tensor [N, C, H, W] with every size >= 1')
    if not x.dtype.is_floating_point:
        raise OpTypeError(f'{name} of dtype {x.dtype}: expected a floating-point tensor')

def check_filter(f, x: torch.Tensor, name: str = 'f') -> None:
    """None, or floating-point filter taps [K] (separable) or [Kh, Kw] on the device of `x`."""
    if f is None:
        return
    filter_size(f, name)
    if not f.dtype.is_floating_point:
        raise OpTypeError(f'{name} of dtype {f.dtype}: expected floating-point filter taps')
    check_device(f, x, name)

def check_bias(b, x: torch.Tensor, dim: int = 1, name: str = 'b') -> None:
    """None, or a 1-D tensor with one value per index of dimension `dim` of `x`, on the device of `x`."""
    if b is None:
        return
    check_tensor(b, name)
    if b.ndim != 1 or b.shape[0] != x.shape[dim]:
        raise OpArgumentError(f'{name} of shape {list(b.shape)}: expected [{x.shape[dim]}], one value per index of dimension {dim} of x')
    check_device(b, x, name)

def check_device(t: torch.Tensor, x: torch.Tensor, name: str) -> None:
    if t.device != x.device:
        raise OpArgumentError(f'{name} on {t.device}: expected the device of x ({x.device})')

def check_shape(tensor: torch.Tensor, ref_shape: list, name: str) -> None:
    """Raise OpArgumentError unless `tensor` has the shape `ref_shape`; None entries match any size."""
    check_tensor(tensor, name)
    if tensor.ndim != len(ref_shape) or any(ref is not None and size != ref for size, ref in zip(tensor.shape, ref_shape)):
        expected = ', '.join('*' if ref is None else str(ref) for ref in ref_shape)
        raise OpArgumentError(f'{name} of shape {list(tensor.shape)}: expected [{expected}]')

def resampled_size(size: int, up: int, down: int, pad0: int, pad1: int, taps: int, what: str) -> int:
    """Output length of one axis of upfirdn: zero-stuff `size` samples by `up`, pad, filter with `taps` taps,
    keep every `down`-th. Raises OpArgumentError where the padded signal is shorter than the filter, or where a
    negative padding crops more than all the upsampled samples (the output would be all padding)."""
    if min(pad0, pad1) < -size * up:
        raise OpArgumentError(f'{what}: padding ({pad0}, {pad1}) crops more than the {size * up} upsampled samples; '
            f'expected paddings >= {-size * up}')
    padded = size * up + pad0 + pad1
    if padded < taps:
        raise OpArgumentError(f'{what}: {size} samples upsampled by {up} and padded by ({pad0}, {pad1}) are {padded}, '
            f'fewer than the {taps} filter taps; expected at least as many samples as taps')
    return (padded - taps + down) // down

def filter_size(f: torch.Tensor | None, name: str = 'f') -> tuple[int, int]:
    """Filter footprint as (width, height); None is the 1x1 identity. Raises OpArgumentError for anything but
    None or a tensor of taps [K] or [Kh, Kw]."""
    if f is None:
        return 1, 1
    check_tensor(f, name)
    if f.ndim not in (1, 2) or f.numel() == 0:
        raise OpArgumentError(f'{name} of shape {list(f.shape)}: expected filter taps [K] (separable) or [Kh, Kw], or None')
    return int(f.shape[-1]), int(f.shape[0])

def assert_shape(tensor: torch.Tensor, ref_shape: list) -> None:
    """Assert (an invariant of our own code) that `tensor` has the shape `ref_shape`; None entries match any size."""
    assert tensor.ndim == len(ref_shape), f'wrong number of dimensions: got {tensor.ndim}, expected {len(ref_shape)}'
    for idx, (size, ref_size) in enumerate(zip(tensor.shape, ref_shape)):
        if ref_size is not None:
            assert size == ref_size, f'wrong size for dimension {idx}: got {size}, expected {ref_size}'

#----------------------------------------------------------------------------
