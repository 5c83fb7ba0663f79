"""Request and result types shared by the GUI thread and the render thread.

Every widget returns one frozen part of `RenderArgs`; the app combines them into one request,
submits it to the render worker, and gets back a `RenderResult`. Everything here is plain data:
no torch, no imgui. `RenderArgs()` is the default view.

Conventions:
- Latent position: the integer seed at (x, y) is `int(x) + int(y) * SEED_STEP_Y` (mod 2**32); a
  fractional position blends the W of the four neighbouring seeds bilinearly, as NVIDIA's viewer.
- Input transform: translation in units of the output image's width/height (1.0 = one full image),
  rotation in degrees (counter-clockwise as seen on screen), scale as a zoom factor (2 = content twice
  as large). The matrix the network receives is the inverse of `TransformArgs.matrix()`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import numpy as np

SEED_STEP_Y = 100                               # Seed offset of one row in the latent grid (NVIDIA's step_y).
SEED_MODULO = 1 << 32                           # Seeds are taken modulo 2**32 (numpy RandomState's range).
NOISE_MODES = ('const', 'random', 'none')
LAYER_VIEWS = ('rgb', 'channel')
_DEVICE_RE = re.compile(r'^(auto|cpu|mps|cuda(:\d+)?)$')

# ----------------------------------------------------------------------------
# Validation helpers: each raises ValueError naming the field and what was expected.


def _check_finite(obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f'{type(obj).__name__}.{name} = {value!r}: expected a finite number')


def _check_int(obj: Any, name: str, minimum: int | None = None, maximum: int | None = None, optional: bool = False) -> None:
    value = getattr(obj, name)
    if optional and value is None:
        return
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        expected = 'an integer' + ('' if minimum is None else f' >= {minimum}') + ('' if maximum is None else f' <= {maximum}')
        raise ValueError(f'{type(obj).__name__}.{name} = {value!r}: expected {expected}{" or None" if optional else ""}')


def _check_bool(obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f'{type(obj).__name__}.{name} = {value!r}: expected True or False')


def _check_choice(obj: Any, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(obj, name)
    if value not in choices:
        raise ValueError(f'{type(obj).__name__}.{name} = {value!r}: expected one of {", ".join(choices)}')


def _check_str(obj: Any, name: str, optional: bool = False) -> None:
    value = getattr(obj, name)
    if not (isinstance(value, str) or (optional and value is None)):
        raise ValueError(f'{type(obj).__name__}.{name} = {value!r}: expected a string{" or None" if optional else ""}')

# ----------------------------------------------------------------------------
# Request parts, one per widget.


@dataclasses.dataclass(frozen=True)
class NetworkArgs:
    source: str = 'builtin:sg3-t'               # Built-in name ('builtin:sg3-t' ...), file path or http(s) URL.
    key: str | None = None                      # Which generator inside the file (e.g. 'G_ema'); None = the loader's default.

    def __post_init__(self) -> None:
        _check_str(self, 'source')
        _check_str(self, 'key', optional=True)


@dataclasses.dataclass(frozen=True)
class LatentArgs:
    x: float = 0.0                              # Fractional seed position along x.
    y: float = 0.0                              # Fractional seed position along y (one row = SEED_STEP_Y seeds).
    class_idx: int | None = None                # Class for conditional networks; None = drawn from the seed (RandomState(seed).randint after z, as NVIDIA's viewer).

    def __post_init__(self) -> None:
        _check_finite(self, 'x')
        _check_finite(self, 'y')
        _check_int(self, 'class_idx', minimum=0, optional=True)

    def seed_weights(self) -> tuple[tuple[int, float], ...]:
        """The integer seeds around (x, y) with their bilinear weights (> 0, summing to 1)."""
        fx, fy = math.floor(self.x), math.floor(self.y)
        result = []
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            weight = (1 - abs(self.x - (fx + dx))) * (1 - abs(self.y - (fy + dy)))
            if weight > 0:
                result.append((seed_at(fx + dx, fy + dy), weight))
        return tuple(result)


def seed_at(x: int, y: int) -> int:
    """The seed at integer grid position (x, y)."""
    return (int(x) + int(y) * SEED_STEP_Y) % SEED_MODULO


@dataclasses.dataclass(frozen=True)
class StyleMixArgs:
    enabled: bool = False                       # Replace the masked W indices with those of the mix seed?
    seed: int = 0                               # Seed whose W is mixed in.
    mask: tuple[bool, ...] = ()                 # Per W index: mix this index? Indices >= num_ws are ignored, missing ones are False.

    def __post_init__(self) -> None:
        _check_bool(self, 'enabled')
        _check_int(self, 'seed', minimum=0, maximum=SEED_MODULO - 1)
        if not isinstance(self.mask, tuple) or not all(isinstance(m, (bool, np.bool_)) for m in self.mask):
            raise ValueError(f'StyleMixArgs.mask = {self.mask!r}: expected a tuple of booleans')

    def indices(self, num_ws: int) -> tuple[int, ...]:
        """The W indices that are mixed for a network with num_ws W vectors (empty when disabled)."""
        if not self.enabled:
            return ()
        return tuple(idx for idx, on in enumerate(self.mask[:num_ws]) if on)


@dataclasses.dataclass(frozen=True)
class TruncationArgs:
    psi: float = 1.0                            # Truncation psi: W = w_avg + psi * (W - w_avg).
    cutoff: int | None = None                   # Truncate only W indices below this; None = all.

    def __post_init__(self) -> None:
        _check_finite(self, 'psi')
        _check_int(self, 'cutoff', minimum=0, optional=True)


@dataclasses.dataclass(frozen=True)
class NoiseArgs:
    mode: str = 'const'                         # 'const' | 'random' | 'none' (networks with noise inputs only).
    seed: int = 0                               # Seed of torch's generator for 'random', so it is reproducible.

    def __post_init__(self) -> None:
        _check_choice(self, 'mode', NOISE_MODES)
        _check_int(self, 'seed', minimum=0, maximum=SEED_MODULO - 1)


@dataclasses.dataclass(frozen=True)
class TransformArgs:
    x: float = 0.0                              # Translation in image widths (positive moves content right).
    y: float = 0.0                              # Translation in image heights (positive moves content down).
    angle_deg: float = 0.0                      # Rotation in degrees.
    scale: float = 1.0                          # Zoom factor (0 is singular: the renderer reports an error).
    untransform: bool = False                   # Resample the output back by the inverse transform.

    def __post_init__(self) -> None:
        for name in ('x', 'y', 'angle_deg', 'scale'):
            _check_finite(self, name)
        _check_bool(self, 'untransform')

    def is_identity(self) -> bool:
        return self.x == 0 and self.y == 0 and self.angle_deg % 360 == 0 and self.scale == 1

    def matrix(self) -> np.ndarray:
        """The user's transform as a [3, 3] float64 matrix (NVIDIA's make_transform, times a scale)."""
        c = math.cos(math.radians(self.angle_deg))
        s = math.sin(math.radians(self.angle_deg))
        m = np.array([[c, s, self.x], [-s, c, self.y], [0, 0, 1]], dtype=np.float64)
        m[:2, :2] *= self.scale
        return m


@dataclasses.dataclass(frozen=True)
class LayerArgs:
    name: str | None = None                     # Synthesis layer to show; None = the generator output.
    view: str = 'rgb'                           # 'rgb' = channels [channel, channel + 3); 'channel' = one channel as grey.
    channel: int = 0                            # First (or only) channel shown; clamped to the layer's channel count.
    normalize: bool = False                     # Divide each shown channel by its largest magnitude before the gain.
    gain_db: float = 0.0                        # Extra gain in dB (20 log10) applied to the shown values.
    crop_margins: bool = False                  # Cut the layer's margin pixels (StyleGAN3 layers are larger than the image).

    def __post_init__(self) -> None:
        _check_str(self, 'name', optional=True)
        _check_choice(self, 'view', LAYER_VIEWS)
        _check_int(self, 'channel', minimum=0)
        _check_bool(self, 'normalize')
        _check_finite(self, 'gain_db')
        _check_bool(self, 'crop_margins')


@dataclasses.dataclass(frozen=True)
class PerformanceArgs:
    device: str = 'auto'                        # 'auto' (cuda, then mps, then cpu) | 'cpu' | 'cuda' | 'cuda:N' | 'mps'.
    force_fp32: bool = False                    # Disable the fp16 layers of the network.

    def __post_init__(self) -> None:
        _check_str(self, 'device')
        if not _DEVICE_RE.match(self.device):
            raise ValueError(f'PerformanceArgs.device = {self.device!r}: expected auto, cpu, cuda, cuda:N or mps')
        _check_bool(self, 'force_fp32')


@dataclasses.dataclass(frozen=True)
class AnalysisArgs:
    """Equivariance heatmap and spectrum settings (issue 6); nothing yet."""


@dataclasses.dataclass(frozen=True)
class RenderArgs:
    network: NetworkArgs = NetworkArgs()
    latent: LatentArgs = LatentArgs()
    mix: StyleMixArgs = StyleMixArgs()
    truncation: TruncationArgs = TruncationArgs()
    noise: NoiseArgs = NoiseArgs()
    transform: TransformArgs = TransformArgs()
    layer: LayerArgs = LayerArgs()
    performance: PerformanceArgs = PerformanceArgs()
    analysis: AnalysisArgs = AnalysisArgs()

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            expected = _PART_TYPES[field.name]
            if not isinstance(getattr(self, field.name), expected):
                raise ValueError(f'RenderArgs.{field.name} = {getattr(self, field.name)!r}: expected a {expected.__name__}')

    def to_dict(self) -> dict:
        """JSON-able nested dict (tuples become lists)."""
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d: dict) -> 'RenderArgs':
        """Inverse of to_dict; missing fields take defaults, unknown fields raise ValueError."""
        if not isinstance(d, dict):
            raise ValueError(f'RenderArgs: expected a dict, got {type(d).__name__}')
        parts = {}
        for name, value in d.items():
            if name not in _PART_TYPES:
                raise ValueError(f'RenderArgs.{name}: unknown field; expected one of {", ".join(_PART_TYPES)}')
            parts[name] = _part_from_dict(_PART_TYPES[name], value, f'RenderArgs.{name}')
        return RenderArgs(**parts)


_PART_TYPES = {'network': NetworkArgs, 'latent': LatentArgs, 'mix': StyleMixArgs, 'truncation': TruncationArgs,
    'noise': NoiseArgs, 'transform': TransformArgs, 'layer': LayerArgs, 'performance': PerformanceArgs, 'analysis': AnalysisArgs}


def _part_from_dict(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f'{where} = {value!r}: expected a dict')
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(value) - names
    if unknown:
        raise ValueError(f'{where}: unknown field(s) {", ".join(sorted(unknown))}; expected {", ".join(sorted(names)) or "none"}')
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in value.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ValueError(f'{where}: {e}') from e

# ----------------------------------------------------------------------------
# Results.


@dataclasses.dataclass(frozen=True)
class NetworkSummary:
    source: str                                 # The source as requested.
    architecture: str                           # 'stylegan3-t' | 'stylegan3-r' | 'stylegan2'.
    img_resolution: int
    img_channels: int
    z_dim: int
    c_dim: int                                  # > 0 for conditional networks (class selector).
    w_dim: int
    num_ws: int                                 # Number of W vectors (style mixing toggles).
    num_params: int
    device: str                                 # The device the network runs on, e.g. 'cpu'.
    has_transform: bool                         # StyleGAN3 networks have an input transform.
    has_noise: bool                             # StyleGAN2 networks have noise inputs.
    description: tuple[str, ...] = ()           # Human-readable lines for the network widget.


@dataclasses.dataclass(frozen=True)
class LayerInfo:
    name: str                                   # Synthesis submodule name ('input', 'L3_36_512', 'b16.conv0', ...).
    shape: tuple[int, ...]                      # Output shape [N, C, H, W] of the first image.
    channels: int
    dtype: str                                  # 'float32' | 'float16' ...
    sampling_rate: float | None = None          # StyleGAN3: output sampling rate (samples per image width).
    cutoff: float | None = None                 # StyleGAN3: output cutoff f_c (cycles per image width).
    stopband: float | None = None               # StyleGAN3: output stopband f_t = cutoff + half_width.
    margin: int = 0                             # Pixels on each side beyond the image area.


@dataclasses.dataclass(frozen=True, eq=False)
class LayerStats:
    name: str                                   # Layer the statistics are of ('output' for the generator output).
    mean: float
    std: float
    min: float
    max: float
    channel_mean: np.ndarray                    # [C] float32 per-channel mean.
    channel_std: np.ndarray                     # [C] float32 per-channel std.
    channel_min: np.ndarray                     # [C] float32.
    channel_max: np.ndarray                     # [C] float32.


@dataclasses.dataclass(frozen=True, eq=False)
class RenderResult:
    stamp: int                                  # Stamp of the request this answers.
    image: np.ndarray | None = None             # [H, W, 3] uint8, C-contiguous, ready for a texture.
    error: str | None = None                    # What went wrong, for the image area; None on success.
    network: NetworkSummary | None = None       # The loaded network (also set when only the render failed).
    layers: tuple[LayerInfo, ...] = ()          # Every synthesis layer, in forward order.
    stats: LayerStats | None = None             # Statistics of the shown layer (before gain).
    render_seconds: float = 0.0                 # Time spent in the render function.
    loading: str | None = None                  # Progress text while a network loads (e.g. 'loading builtin:sg3-t...').
    args: RenderArgs | None = None              # The request this answers.
    image_resolution: int | None = None         # The generator's output resolution (captures are saved at this size).
