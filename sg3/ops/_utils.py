"""Argument parsing shared by the ops."""

import numbers

import torch

#----------------------------------------------------------------------------

def parse_scaling(scaling: int | list | tuple) -> tuple[int, int]:
    """Up/down factor as (x, y); an int applies to both axes."""
    if isinstance(scaling, int):
        scaling = [scaling, scaling]
    assert isinstance(scaling, (list, tuple)) and len(scaling) == 2, f'bad scaling {scaling!r}'
    sx, sy = scaling
    assert isinstance(sx, int) and isinstance(sy, int) and sx >= 1 and sy >= 1, f'bad scaling {scaling!r}'
    return sx, sy

def parse_padding(padding: int | list | tuple) -> tuple[int, int, int, int]:
    """Padding as (x0, x1, y0, y1) from an int, [px, py] or [px0, px1, py0, py1]."""
    if isinstance(padding, numbers.Integral):
        padding = [padding, padding]
    assert isinstance(padding, (list, tuple)), f'bad padding {padding!r}'
    assert all(isinstance(p, numbers.Integral) for p in padding), f'bad padding {padding!r}'
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        px, py = padding
        padding = [px, px, py, py]
    assert len(padding) == 4, f'bad padding {padding!r}'
    px0, px1, py0, py1 = padding
    return px0, px1, py0, py1

def filter_size(f: torch.Tensor | None) -> tuple[int, int]:
    """Filter footprint as (width, height); None is the 1x1 identity."""
    if f is None:
        return 1, 1
    assert isinstance(f, torch.Tensor) and f.ndim in [1, 2], 'filter must be a 1-D or 2-D tensor'
    return int(f.shape[-1]), int(f.shape[0])

def assert_shape(tensor: torch.Tensor, ref_shape: list) -> None:
    """Assert that `tensor` has the shape `ref_shape`; None entries match any size."""
    assert tensor.ndim == len(ref_shape), f'wrong number of dimensions: got {tensor.ndim}, expected {len(ref_shape)}'
    for idx, (size, ref_size) in enumerate(zip(tensor.shape, ref_shape)):
        if ref_size is not None:
            assert size == ref_size, f'wrong size for dimension {idx}: got {size}, expected {ref_size}'

#----------------------------------------------------------------------------
