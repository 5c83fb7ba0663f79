"""Power spectra of images and synthesis layers, with the layer's own filter design to compare.

Definitions follow NVIDIA's `avg_spectra.py` (the paper's spectrum figures): a separable Kaiser window
normalised to unit energy, optional zero padding ("interp") for a finer frequency grid, |FFT|^2
averaged over channels and images, shown in dB. Two differences: the mean is removed per image and
channel (instead of whitening with dataset statistics), and the input can be any layer.

Frequencies: the spectrum's own axis is in cycles per pixel (Nyquist = 0.5). A layer sampled at s pixels
per image unit (its `sampling_rate`; the image spans one unit) has frequency f cycles per pixel =
f * s cycles per image, the unit of the layer's cutoff f_c, stopband f_t and Nyquist limit s/2.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Callable, Sequence

import numpy as np
import torch

from sg3.errors import Sg3Error
from sg3.pipeline import OUTPUT, layer_path, run_synthesis, seed_latent


class SpectrumError(Sg3Error):
    """A spectrum request is malformed (bad tensor, unknown layer, bad parameter)."""

# ----------------------------------------------------------------------------
# Spectra.


@dataclasses.dataclass(frozen=True, eq=False)
class Spectrum:
    power:         np.ndarray               # [H', W'] float64 mean power per channel, centred: DC at [H'//2, W'//2].
    freqs_y:       np.ndarray               # [H'] vertical frequency of each row, cycles per pixel.
    freqs_x:       np.ndarray               # [W'] horizontal frequency of each column, cycles per pixel.
    sampling_rate: float                    # Pixels per image unit (s): cycles per image = cycles per pixel * s.
    image_size:    tuple[int, int]          # (H, W) of the inputs, before padding.
    count:         int                      # Images averaged.
    beta:          float                    # Kaiser window shape.
    interp:        int                      # Zero-padding factor (frequency-domain interpolation).

    @property
    def freqs_x_per_image(self) -> np.ndarray:
        return self.freqs_x * self.sampling_rate

    @property
    def freqs_y_per_image(self) -> np.ndarray:
        return self.freqs_y * self.sampling_rate


def _centred_freqs(n: int) -> np.ndarray:
    """Frequencies in cycles per sample of the bins of an fftshift-ed length-n FFT."""
    return (np.arange(n) - n // 2) / n


def _kaiser(n: int, beta: float, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    if n == 1:
        return torch.ones([1], device=device, dtype=dtype)
    return torch.kaiser_window(n, periodic=False, beta=beta, device=device, dtype=dtype)


class SpectrumAccumulator:
    """Running average of power spectra over images added one batch at a time.

    Every image counts once: adding the same image K times gives the spectrum of that image.
    """

    def __init__(self,
        beta:          float = 8.0,         # Kaiser window shape (0 = rectangular); NVIDIA's default is 8.
        interp:        int = 1,             # Zero-pad to interp x the size (avg_spectra.py uses 4).
        sampling_rate: float | None = None, # Pixels per image unit; None = the input's width.
    ) -> None:
        if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta >= 0):
            raise SpectrumError(f'beta = {beta!r}: expected a finite number >= 0')
        if isinstance(interp, bool) or not isinstance(interp, int) or interp < 1:
            raise SpectrumError(f'interp = {interp!r}: expected an integer >= 1')
        if sampling_rate is not None and not (math.isfinite(sampling_rate) and sampling_rate > 0):
            raise SpectrumError(f'sampling_rate = {sampling_rate!r}: expected a number > 0 or None')
        self.beta = float(beta)
        self.interp = interp
        self.sampling_rate = None if sampling_rate is None else float(sampling_rate)
        self.count = 0
        self._sum: torch.Tensor | None = None                                   # [H', W'] float64, uncentred.
        self._image_size: tuple[int, int] | None = None

    def add(self,
        x: torch.Tensor,                    # [C, H, W] one image or [N, C, H, W] a batch.
    ) -> None:
        if not isinstance(x, torch.Tensor) or x.ndim not in (3, 4) or not x.is_floating_point():
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise SpectrumError(f'x = {shape}: expected a floating-point tensor [C, H, W] or [N, C, H, W]')
        x = x.detach()
        if x.ndim == 3:
            x = x.unsqueeze(0)
        N, _C, H, W = x.shape
        if self._image_size not in (None, (H, W)):
            raise SpectrumError(f'x = {tuple(x.shape)}: expected images of size {self._image_size}, as added before')
        dtype = torch.float64 if x.device.type == 'cpu' else torch.float32

        # Remove the mean of each channel, apply the unit-energy Kaiser window, zero pad.
        x = x.to(dtype)
        x = x - x.mean(dim=[2, 3], keepdim=True)
        wy = _kaiser(H, self.beta, x.device, dtype)
        wx = _kaiser(W, self.beta, x.device, dtype)
        window = torch.outer(wy / wy.square().sum().sqrt(), wx / wx.square().sum().sqrt())
        x = torch.nn.functional.pad(x * window, [0, W * (self.interp - 1), 0, H * (self.interp - 1)])

        # Accumulate |FFT|^2, averaged over channels, summed over images.
        power = torch.fft.fft2(x).abs().square().mean(dim=1).sum(dim=0)           # [H', W']
        power = power.to(torch.float64)
        self._sum = power if self._sum is None else self._sum + power.to(self._sum.device)
        self._image_size = (H, W)
        self.count += N

    def result(self) -> Spectrum:
        if self._sum is None:
            raise SpectrumError('SpectrumAccumulator.result(): no images were added')
        H, W = self._image_size
        power = torch.fft.fftshift(self._sum / self.count).cpu().numpy()
        return Spectrum(power=power, freqs_y=_centred_freqs(power.shape[0]), freqs_x=_centred_freqs(power.shape[1]),
            sampling_rate=self.sampling_rate if self.sampling_rate is not None else float(W), image_size=(H, W),
            count=self.count, beta=self.beta, interp=self.interp)


def power_spectrum(
    x:             torch.Tensor,            # [C, H, W] or [N, C, H, W].
    beta:          float = 8.0,             # Kaiser window shape.
    interp:        int = 1,                 # Zero-padding factor.
    sampling_rate: float | None = None,     # Pixels per image unit; None = the input's width.
) -> Spectrum:
    """Windowed power spectrum, averaged over channels and images, centred."""
    acc = SpectrumAccumulator(beta=beta, interp=interp, sampling_rate=sampling_rate)
    acc.add(x)
    return acc.result()


def to_db(
    power:    np.ndarray,                   # Linear power.
    db_range: tuple[float, float] | None = (-40.0, 20.0),  # Clip to [low, high] dB; None = no clipping.
) -> np.ndarray:
    """10 log10(power); zero power becomes the low end of the range (or -inf without a range)."""
    power = np.asarray(power, dtype=np.float64)
    with np.errstate(divide='ignore'):
        db = 10 * np.log10(np.maximum(power, 0))
    if db_range is not None:
        low, high = db_range
        if not low < high:
            raise SpectrumError(f'db_range = {db_range!r}: expected (low, high) with low < high')
        db = np.clip(db, low, high)
    return db

# ----------------------------------------------------------------------------
# Profiles.


@dataclasses.dataclass(frozen=True, eq=False)
class Profile:
    freqs:         np.ndarray               # [K] radial frequency, cycles per pixel.
    power:         np.ndarray               # [K] linear power.
    sampling_rate: float                    # Pixels per image unit, as the spectrum's.

    @property
    def freqs_per_image(self) -> np.ndarray:
        return self.freqs * self.sampling_rate


def radial_profile(spectrum: Spectrum) -> Profile:
    """Mean power over annuli one frequency bin wide, from DC outwards (to the corners)."""
    fy, fx = np.meshgrid(spectrum.freqs_y, spectrum.freqs_x, indexing='ij')
    step = 1 / max(spectrum.power.shape)
    index = np.rint(np.hypot(fx, fy) / step).astype(np.int64)
    sums = np.bincount(index.ravel(), weights=spectrum.power.ravel())
    counts = np.bincount(index.ravel())
    keep = counts > 0
    return Profile(freqs=np.arange(len(sums))[keep] * step, power=sums[keep] / counts[keep], sampling_rate=spectrum.sampling_rate)


def slice_profiles(spectrum: Spectrum) -> tuple[Profile, Profile]:
    """The 0 degree (horizontal) and 45 degree slices from DC to Nyquist, as avg_spectra.py draws them."""
    n, m = spectrum.power.shape
    if n != m or n % 2:
        raise SpectrumError(f'spectrum of size {n}x{m}: slices need a square spectrum of even size')
    c = n // 2
    wrapped = np.concatenate([spectrum.power, spectrum.power[:1]], axis=0)      # Row n = row 0 = -Nyquist = +Nyquist.
    wrapped = np.concatenate([wrapped, wrapped[:, :1]], axis=1)
    k = np.arange(c + 1)
    slice0 = Profile(freqs=k / n, power=wrapped[c, c + k], sampling_rate=spectrum.sampling_rate)
    slice45 = Profile(freqs=k / n * math.sqrt(2), power=wrapped[c + k, c + k], sampling_rate=spectrum.sampling_rate)
    return slice0, slice45

# ----------------------------------------------------------------------------
# Layers: names and designs.


@dataclasses.dataclass(frozen=True)
class LayerDesign:
    name:          str                      # Layer name ('L3_36_512', 'input', 'b16.conv0', 'output').
    sampling_rate: float                    # s: pixels per image unit.
    cutoff:        float | None             # f_c, cycles per image; None for StyleGAN2 layers.
    stopband:      float | None             # f_t = f_c + f_h, cycles per image; None if not designed.
    half_width:    float | None             # f_h, cycles per image; None if not designed.
    size:          tuple[int, int]          # (width, height) of the layer output in pixels, margins included.
    margin:        int                      # Pixels outside the image on each side.
    nyquist:       float                    # s / 2, cycles per image.
    channels:      int | None               # Output channels, if known.
    radial:        bool = False             # Radially symmetric band limit (disc, StyleGAN3-R and the input); False = separable (square).

    def per_pixel(self, value: float | None) -> float | None:
        """Cycles per image -> cycles per pixel of this layer."""
        return None if value is None else value / self.sampling_rate

    @property
    def cutoff_per_pixel(self) -> float | None:
        return self.per_pixel(self.cutoff)

    @property
    def stopband_per_pixel(self) -> float | None:
        return self.per_pixel(self.stopband)

    @property
    def half_width_per_pixel(self) -> float | None:
        return self.per_pixel(self.half_width)

    @property
    def nyquist_per_pixel(self) -> float:
        return 0.5


def _module_path(layer_name: str) -> str:
    """'synthesis.b16:1' -> 'b16': the path under G.synthesis of the module that gives a layer."""
    if not isinstance(layer_name, str) or not layer_name:
        raise SpectrumError(f'layer = {layer_name!r}: expected a layer name such as {OUTPUT!r}')
    return re.sub(r':\d+$', '', layer_path(layer_name))


def layer_names(G: torch.nn.Module) -> list[str]:
    """Layers whose design is known, in execution order, ending with 'output'."""
    synthesis = G.synthesis
    if hasattr(synthesis, 'layer_names'):
        return ['input', *synthesis.layer_names, OUTPUT]
    names = []
    for res in getattr(synthesis, 'block_resolutions', []):
        block = getattr(synthesis, f'b{res}')
        names += [f'b{res}.{part}' for part in ('conv0', 'conv1', 'torgb') if hasattr(block, part)]
    return names + [OUTPUT]


def _find_module(G: torch.nn.Module, path: str, layer_name: str) -> torch.nn.Module:
    try:
        return G.synthesis.get_submodule(path)
    except AttributeError:
        raise SpectrumError(f'layer = {layer_name!r}: not a layer of this network; expected one of {", ".join(layer_names(G))}') from None


def layer_design(
    G:          torch.nn.Module,            # Generator (StyleGAN3 or StyleGAN2).
    layer_name: str,                        # Layer name, or 'output'.
) -> LayerDesign:
    """Sampling rate, cutoff, stopband and geometry of one layer, from the layer's own attributes."""
    path = _module_path(layer_name)
    synthesis = G.synthesis
    if path == OUTPUT:
        if hasattr(synthesis, 'layer_names'):
            last = layer_design(G, synthesis.layer_names[-1])
            return dataclasses.replace(last, name=OUTPUT, margin=0)
        res = int(G.img_resolution)
        return LayerDesign(name=OUTPUT, sampling_rate=float(res), cutoff=None, stopband=None, half_width=None,
            size=(res, res), margin=0, nyquist=res / 2, channels=int(G.img_channels))
    module = _find_module(G, path, layer_name)

    # StyleGAN3 synthesis layer: the design of its output.
    if hasattr(module, 'out_sampling_rate'):
        rate = float(module.out_sampling_rate)
        size = tuple(int(v) for v in np.broadcast_to(np.asarray(module.out_size), [2]))
        margin = int(getattr(module, 'out_margin', (size[0] - rate) // 2))
        return LayerDesign(name=layer_name, sampling_rate=rate, cutoff=float(module.out_cutoff),
            stopband=float(module.out_cutoff + module.out_half_width), half_width=float(module.out_half_width),
            size=size, margin=margin, nyquist=rate / 2, channels=int(module.out_channels),
            radial=bool(getattr(module, 'down_radial', False)))

    # StyleGAN3 Fourier-feature input: frequencies up to its bandwidth.
    if hasattr(module, 'sampling_rate') and hasattr(module, 'bandwidth'):
        rate = float(module.sampling_rate)
        size = tuple(int(v) for v in np.broadcast_to(np.asarray(module.size), [2]))
        return LayerDesign(name=layer_name, sampling_rate=rate, cutoff=float(module.bandwidth), stopband=None, half_width=None,
            size=size, margin=int((size[0] - rate) // 2), nyquist=rate / 2, channels=int(module.channels), radial=True)

    # StyleGAN2: the resolution of the block the module belongs to; no designed cutoff.
    parts = path.split('.')
    for depth in range(len(parts), 0, -1):
        owner = synthesis.get_submodule('.'.join(parts[:depth]))
        if hasattr(owner, 'resolution'):
            res = int(owner.resolution)
            channels = getattr(module, 'out_channels', getattr(owner, 'out_channels', None))
            return LayerDesign(name=layer_name, sampling_rate=float(res), cutoff=None, stopband=None, half_width=None,
                size=(res, res), margin=0, nyquist=res / 2, channels=None if channels is None else int(channels))
    raise SpectrumError(f'layer = {layer_name!r}: has no known sampling rate; expected one of {", ".join(layer_names(G))}')


def average_layer_spectrum(
    G:              torch.nn.Module,        # Generator, eval mode, on its device.
    layer_name:     str,                    # Layer name or 'output'.
    seeds:          Sequence[int],          # Latent seeds (K of them).
    beta:           float = 8.0,            # Kaiser window shape.
    interp:         int = 1,                # Zero-padding factor.
    channel:        int | None = None,      # One channel only; None = average over all.
    truncation_psi: float = 1.0,            # Truncation of W.
    noise_mode:     str = 'const',          # Passed to G.synthesis.
    progress:       Callable[[int, int], None] | None = None,  # progress(done, total) after each seed.
    cancel:         Callable[[], bool] | None = None,          # Polled before each seed; True stops early.
) -> tuple[Spectrum, LayerDesign]:
    """Average power spectrum of a layer over seeds, with the layer's design. If cancelled, the
    spectrum averages the seeds done so far (Spectrum.count tells how many)."""
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise SpectrumError('seeds = []: expected at least one seed')
    design = layer_design(G, layer_name)
    device = next(iter(G.parameters()), torch.empty([])).device
    acc = SpectrumAccumulator(beta=beta, interp=interp, sampling_rate=design.sampling_rate)
    if progress is not None:
        progress(0, len(seeds))
    for done, seed in enumerate(seeds, start=1):
        if cancel is not None and cancel() and acc.count > 0:
            break
        z, c = seed_latent(seed, G.z_dim, G.c_dim)
        with torch.no_grad():
            ws = G.mapping(z.to(device), c.to(device), truncation_psi=truncation_psi)
        x, _layers = run_synthesis(G, ws, layer_name, noise_mode=noise_mode)
        if channel is not None:
            if not 0 <= channel < x.shape[1]:
                raise SpectrumError(f'channel = {channel}: expected 0 .. {x.shape[1] - 1} for layer {layer_name!r}')
            x = x[:, channel : channel + 1]
        acc.add(x.float())
        if progress is not None:
            progress(done, len(seeds))
    return acc.result(), design
