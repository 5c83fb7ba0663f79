"""Built-in demo networks: small, untrained, deterministic generators that need no file and no
download. Their statistics (w_avg, magnitude EMAs, output gain) are calibrated so the images have
contrast and colour rather than flat grey. They show what the viewer does; they do not depict anything."""

import dataclasses
import zlib

import torch

from sg3.errors import CheckpointError
from sg3.networks_common import GeneratorBase
from sg3.networks_stylegan2 import Generator as StyleGAN2Generator
from sg3.networks_stylegan3 import Generator as StyleGAN3Generator

PREFIX = 'builtin:'

#----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BuiltinSpec:
    name:           str     # Name without the prefix, e.g. 'sg3-t'.
    architecture:   str     # 'stylegan3-t', 'stylegan3-r' or 'stylegan2'.
    description:    str     # One line for lists in the GUI and the command line.
    init_kwargs:    dict    # Constructor keyword arguments, in the official format.

_COMMON = dict(z_dim=512, c_dim=0, w_dim=512, img_resolution=256, img_channels=3)

BUILTINS = {spec.name: spec for spec in [
    BuiltinSpec('sg3-t', 'stylegan3-t', 'StyleGAN3-T demo, 256 px, untrained (random weights)',
        dict(_COMMON, mapping_kwargs=dict(num_layers=2), channel_base=2048, channel_max=32, magnitude_ema_beta=0.999)),
    BuiltinSpec('sg3-r', 'stylegan3-r', 'StyleGAN3-R demo, 256 px, untrained (random weights)',
        dict(_COMMON, mapping_kwargs=dict(num_layers=2), channel_base=2048, channel_max=32, magnitude_ema_beta=0.999,
            conv_kernel=1, use_radial_filters=True)),
    BuiltinSpec('sg2', 'stylegan2', 'StyleGAN2 demo, 256 px, untrained (random weights)',
        dict(_COMMON, mapping_kwargs=dict(num_layers=8), channel_base=8192, channel_max=128, fused_modconv_default='inference_only')),
]}

DEFAULT = PREFIX + 'sg3-t'

def is_builtin(source: str) -> bool:
    return isinstance(source, str) and source.startswith(PREFIX)

def list_builtins() -> list[tuple[str, str]]:
    """(full name, description) of every built-in network."""
    return [(PREFIX + spec.name, spec.description) for spec in BUILTINS.values()]

#----------------------------------------------------------------------------

def build_builtin(source: str) -> GeneratorBase:
    """Construct and calibrate the named built-in network, on the CPU, in eval mode."""
    name = source[len(PREFIX):] if is_builtin(source) else source
    if name not in BUILTINS:
        known = ', '.join(full for full, _ in list_builtins())
        raise CheckpointError(f'unknown built-in network {source!r}; expected one of: {known}')
    spec = BUILTINS[name]
    seed = zlib.crc32(spec.name.encode())

    # Construct with a private, fixed random state so the weights are the same every time.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cls = StyleGAN2Generator if spec.architecture == 'stylegan2' else StyleGAN3Generator
        G = cls(**spec.init_kwargs).eval().requires_grad_(False)
        calibrate(G, seed=seed)
    return G

#----------------------------------------------------------------------------

@torch.no_grad()
def calibrate(
    G:              GeneratorBase,  # The untrained generator to calibrate in place.
    seed:           int,            # Seed for the latents used in calibration.
    num_samples:    int = 256,      # Latents for estimating w_avg.
    batch_size:     int = 4,        # Latents in the synthesis pass that estimates magnitudes.
    style_scale:    float = 0.25,   # Scale of the untrained style weights: keeps styles near 1 so every seed has contrast.
    target_std:     float = 0.5,    # Standard deviation of the output image after calibration.
) -> None:
    """Estimate w_avg and (for StyleGAN3) each layer's input magnitude the way training tracks them,
    then scale the final layer so the output has a useful contrast."""
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn([num_samples, G.z_dim], generator=generator)
    c = torch.zeros([num_samples, G.c_dim])
    G.mapping.w_avg.copy_(G.mapping(z, c).mean(dim=[0, 1]))
    for name, module in G.synthesis.named_modules():
        if name.endswith('affine') and name != 'input.affine':
            module.weight.mul_(style_scale)
    ws = G.mapping(z[:batch_size], c[:batch_size])

    # Track each StyleGAN3 layer's input magnitude in one pass: a hook sets the EMA before the layer runs.
    hooks = []
    if G.architecture.startswith('stylegan3'):
        def set_magnitude(module, inputs):
            module.magnitude_ema.copy_(inputs[0].square().mean())
        for name in G.synthesis.layer_names:
            hooks.append(getattr(G.synthesis, name).register_forward_pre_hook(set_magnitude))
    img = G.synthesis(ws, noise_mode='const')
    for hook in hooks:
        hook.remove()

    # Centre each colour channel and scale it to the target contrast by way of the ToRGB layers
    # (the output is linear in their weights and biases), so images have colour, not one dominant hue.
    if G.architecture.startswith('stylegan3'):
        torgb_layers = [getattr(G.synthesis, G.synthesis.layer_names[-1])]
        scale = G.synthesis.output_scale
    else:
        torgb_layers = [getattr(G.synthesis, f'b{res}').torgb for res in G.synthesis.block_resolutions]
        scale = 1
    gain = target_std / img.std(dim=[0, 2, 3]).clamp(min=1e-8) # [C]
    mean = img.mean(dim=[0, 2, 3]) # [C]
    for layer in torgb_layers:
        layer.weight.mul_(gain.reshape(-1, 1, 1, 1))
        layer.bias.mul_(gain)
    torgb_layers[-1].bias.sub_(mean * gain / scale)

#----------------------------------------------------------------------------
