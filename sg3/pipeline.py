"""From a seed to a picture: the steps the command-line tools, the analysis and the viewer share, written once.

- Seed -> (z, c) as NVIDIA's gen_images.py and viewer draw them: z = RandomState(seed).randn(1, z_dim); a
  conditional network without an explicit class gets RandomState(seed).randint(c_dim), drawn after z.
- The synthesis network run up to one layer, with early exit: later modules are not run. Its layers are the
  image-shaped [N, C, H, W] outputs of its submodules, in the order they finish, named by module path under
  G.synthesis ('L3_36_512', 'b16.conv0'); a module that returns several gets ':0', ':1', ... suffixes ('b16:1').
- The 8-bit conversion of NVIDIA's tools: clamp(floor(x * g * 127.5 + 128), 0, 255).

The batch metrics of sg3.equivariance draw their latents with torch generators, as NVIDIA's metric code does;
that is a different stream on purpose.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import torch

from sg3.errors import Sg3Error

OUTPUT = 'output'                           # Name of the generator output in layer lists.
SEED_LIMIT = 1 << 32                        # Seeds are 0 .. 2**32 - 1 (numpy RandomState's range).


class LatentError(Sg3Error):
    """A seed or class that the network cannot take."""


class LayerError(Sg3Error):
    """A layer name that is not a layer of the network. `layers` lists the layers that ran (all of them)."""

    def __init__(self, message: str, layers: list[SynthesisLayer]) -> None:
        super().__init__(message)
        self.layers = layers


class SynthesisCancelled(Exception):
    """`should_stop` asked run_synthesis to stop; raised between two submodules."""

# ----------------------------------------------------------------------------
# Latents.


def seed_latent(
    seed:      int,                         # 0 .. 2**32 - 1.
    z_dim:     int,                         # Size of z (G.z_dim).
    c_dim:     int = 0,                     # Number of classes (G.c_dim); 0 = unconditional.
    class_idx: int | None = None,           # Class of a conditional network; None = drawn from the seed after z.
) -> tuple[torch.Tensor, torch.Tensor]:
    """(z [1, z_dim], c [1, c_dim]), float32 on the CPU; c is one-hot (all zeros and [1, 0] when unconditional)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEED_LIMIT:
        raise LatentError(f'seed = {seed!r}: expected an integer from 0 to 2**32 - 1')
    if class_idx is not None:
        if c_dim == 0:
            raise LatentError(f'class {class_idx}: this network is unconditional (c_dim = 0); expected no class')
        if isinstance(class_idx, bool) or not isinstance(class_idx, (int, np.integer)) or not 0 <= class_idx < c_dim:
            raise LatentError(f'class {class_idx}: this network has {c_dim} classes; expected 0 to {c_dim - 1}')
    rnd = np.random.RandomState(seed)
    z = torch.from_numpy(rnd.randn(1, z_dim)).to(torch.float32)
    c = torch.zeros([1, c_dim])
    if c_dim > 0:
        c[0, rnd.randint(c_dim) if class_idx is None else class_idx] = 1
    return z, c

# ----------------------------------------------------------------------------
# Synthesis up to a layer.


@dataclasses.dataclass(frozen=True, eq=False)
class SynthesisLayer:
    name:   str                             # Unique name ('L3_36_512', 'b16.conv0', 'b16:1').
    path:   str                             # Path of the module under G.synthesis ('L3_36_512', 'b16.conv0', 'b16').
    module: torch.nn.Module                 # The module that produced it.
    shape:  tuple[int, ...]                 # [N, C, H, W].
    dtype:  str                             # 'float32', 'float16', ...


class _LayerReached(Exception):
    """Raised inside a forward hook to end the pass once the wanted layer has run."""

    def __init__(self, output: torch.Tensor) -> None:
        super().__init__()
        self.output = output


def layer_path(layer_name: str) -> str:
    """'synthesis.b16:1' -> 'b16:1': a layer name relative to G.synthesis."""
    return layer_name[len('synthesis.'):] if layer_name.startswith('synthesis.') else layer_name


def _images(outputs: Any) -> list[torch.Tensor]:
    """The [N, C, H, W] tensors among a module's outputs."""
    items = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    return [t for t in items if isinstance(t, torch.Tensor) and t.ndim == 4]


def run_synthesis(
    G:           torch.nn.Module,                   # Generator (StyleGAN3 or StyleGAN2); runs G.synthesis.
    ws:          torch.Tensor,                      # [N, num_ws, w_dim].
    layer:       str | None = None,                 # Layer to stop at ('synthesis.' prefix allowed); None or 'output' = run to the end.
    should_stop: Callable[[], bool] | None = None,  # Polled after every submodule; True ends the pass with SynthesisCancelled.
    **synthesis_kwargs: Any,                        # Passed to G.synthesis (noise_mode, force_fp32, ...).
) -> tuple[torch.Tensor, list[SynthesisLayer]]:
    """(output, layers): the output of `layer`, or of the network for None, and the layers that ran before the
    pass ended, in order. A layer that never runs is a LayerError listing all of them (the pass ran to the end)."""
    wanted = None if layer is None or layer_path(layer) == OUTPUT else layer_path(layer)
    synthesis = G.synthesis
    module_paths = {module: path for path, module in synthesis.named_modules() if path}
    layers: list[SynthesisLayer] = []
    names: set[str] = set()

    def hook(module: torch.nn.Module, _inputs: Any, outputs: Any) -> None:
        if should_stop is not None and should_stop():
            raise SynthesisCancelled(f'synthesis stopped after {module_paths[module]}')
        path = module_paths[module]
        tensors = _images(outputs)
        for idx, out in enumerate(tensors):
            name = base = path + (f':{idx}' if len(tensors) > 1 else '')
            suffix = 2
            while name in names:                                                # A module that runs twice.
                name, suffix = f'{base}_{suffix}', suffix + 1
            names.add(name)
            layers.append(SynthesisLayer(name=name, path=path, module=module, shape=tuple(int(s) for s in out.shape),
                dtype=str(out.dtype).split('.')[-1]))
            if name == wanted:
                raise _LayerReached(out)

    handles = [module.register_forward_hook(hook) for module in module_paths]
    try:
        with torch.no_grad():
            output = synthesis(ws, **synthesis_kwargs)
    except _LayerReached as reached:
        return reached.output, layers
    finally:
        for handle in handles:
            handle.remove()
    if wanted is not None:
        raise LayerError(f'layer {layer!r}: not a layer of this network; expected one of '
            f'{", ".join(item.name for item in layers)}', layers)
    return output, layers

# ----------------------------------------------------------------------------
# 8-bit images.


def to_uint8(
    img:  torch.Tensor,                     # [C, H, W] values in about [-1, 1].
    gain: float = 1.0,                      # g: the values are multiplied by it first.
) -> np.ndarray:
    """[H, W, C] uint8 = clamp(floor(img * g * 127.5 + 128), 0, 255), the conversion of NVIDIA's tools."""
    if not isinstance(img, torch.Tensor) or img.ndim != 3:
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise Sg3Error(f'img = {shape}: expected a tensor [C, H, W]')
    v = img.to(torch.float32)
    if gain != 1:
        v = v * gain
    return np.ascontiguousarray((v * 127.5 + 128).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).cpu().numpy())
