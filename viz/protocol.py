"""Request and result types shared by the GUI thread and the render thread.

Every widget returns one frozen part of `RenderArgs`; the app combines them into one request,
submits it to the render worker, and gets back a `RenderResult`. Everything here is plain data:
no torch, no imgui. `RenderArgs()` is the default view.

Conventions:
- Latent position: the integer seed at (x, y) is `int(x) + int(y) * SEED_STEP_Y` (mod 2**32); a
  fractional position blends the W of the four neighbouring seeds bilinearly, as NVIDIA's viewer.
- Input transform: translation in units of the output image's width/height (1.0 = one full image),
  rotation in degrees (counter-clockwise as seen on screen), scale as a zoom factor (2 = content twice
  as large). The render side builds the matrix with sg3.transforms.make_transform; the network
  receives its inverse.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, ClassVar

import numpy as np

SEED_STEP_Y = 100                               # Seed offset of one row in the latent grid (NVIDIA's step_y).
SEED_MODULO = 1 << 32                           # Seeds are taken modulo 2**32 (numpy RandomState's range).
NOISE_MODES = ('const', 'random', 'none')
LAYER_VIEWS = ('rgb', 'channel')
_DEVICE_RE = re.compile(r'^(auto|cpu|mps|cuda(:\d+)?)$')
EQ_MODES = ('off', 'eqt', 'eqt_frac', 'eqr')    # Equivariance heatmap: off, integer / fractional translation, rotation.
EQ_LAYOUTS = ('side', 'reference', 'generated', 'error')  # Side by side, or one of the three pictures alone.
SPECTRUM_CHANNELS = ('all', 'selected')         # Spectrum of all channels (mean power) or of LayerArgs.channel only.
COMMAND_STATES = ('queued', 'running', 'done', 'cancelled', 'failed')
EXPORT_FORMATS = ('png', 'npz')                 # Spectrum export: paper-style PNG figure or .npz arrays.
BLEND_MODES = ('lerp', 'slerp')                 # LatentArgs.blend: affine (linear) or spherical blend of W.
VIDEO_FORMATS = ('mp4', 'mkv', 'png', 'gif')    # H.264 MP4 (yuv420p), lossless FFV1 in Matroska, a folder of PNG frames, GIF.
VIDEO_CONTENTS = ('image', 'view')              # The generator's image alone, or the image area as composed (panels, spectrum, layer).

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
    blend: tuple[tuple[float, float, float], ...] = ()  # Other positions (x, y, weight) whose W is blended in (timelines); () = none.
    blend_mode: str = 'lerp'                    # 'lerp': W = (1 - sum w_i) W(x, y) + sum w_i W(x_i, y_i) (weights may be < 0, as
                                                # Catmull-Rom's); 'slerp': one entry, W(x, y) -> W(x_1, y_1) along the great circle.

    def __post_init__(self) -> None:
        _check_finite(self, 'x')
        _check_finite(self, 'y')
        _check_int(self, 'class_idx', minimum=0, optional=True)
        _check_choice(self, 'blend_mode', BLEND_MODES)
        blend = self.blend
        ok = isinstance(blend, (tuple, list)) and all(isinstance(e, (tuple, list)) and len(e) == 3 and all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in e) for e in blend)
        if not ok:
            raise ValueError(f'LatentArgs.blend = {blend!r}: expected a tuple of (x, y, weight) triples of finite numbers')
        if self.blend_mode == 'slerp' and len(blend) != 1:
            raise ValueError(f'LatentArgs.blend = {blend!r}: blend_mode \'slerp\' expects exactly one (x, y, weight) entry')
        object.__setattr__(self, 'blend', tuple(tuple(float(v) for v in e) for e in blend))  # Lists from JSON become tuples.

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
    preview_bf16: bool = False                  # User setting: bfloat16 preview while dragging (where the device runs bfloat16 fast).
    interacting: bool = False                   # Set by the app while the user drags or holds a control; never saved in sessions.

    def __post_init__(self) -> None:
        _check_str(self, 'device')
        if not _DEVICE_RE.match(self.device):
            raise ValueError(f'PerformanceArgs.device = {self.device!r}: expected auto, cpu, cuda, cuda:N or mps')
        _check_bool(self, 'force_fp32')
        _check_bool(self, 'preview_bf16')
        _check_bool(self, 'interacting')

    def wants_bf16(self) -> bool:
        """Does this request ask for the bfloat16 preview (if the device supports it)?"""
        return bool(self.preview_bf16 and self.interacting)


@dataclasses.dataclass(frozen=True)
class AnalysisArgs:
    """Equivariance heatmap and spectrum view.

    The heatmap compares, for the current latent and input transform, 'generate then transform' with
    'transform the input then generate' (StyleGAN3 only). The spectrum is that of the layer LayerArgs.name.
    With both on, the heatmap is shown. Background work (batch metrics, K-seed averages, exports) is not
    part of the request: it goes through the worker's command channel (`Command` below)."""
    eq_mode: str = 'off'                        # 'off' | 'eqt' (whole pixels) | 'eqt_frac' (sub-pixel) | 'eqr' (rotation).
    eq_layout: str = 'side'                     # 'side' = reference | generated | error heatmap; or one of them alone.
    eq_scale_max: float = 0.0                   # Squared error at the top of the colour scale; 0 = the largest error shown.
    spectrum: bool = False                      # Show the power spectrum of the selected layer.
    spectrum_beta: float = 8.0                  # Kaiser window shape (0 = rectangular).
    spectrum_db_low: float = -40.0              # dB at the bottom of the colour scale.
    spectrum_db_high: float = 20.0              # dB at the top of the colour scale.
    spectrum_channels: str = 'all'              # 'all' = mean power over channels; 'selected' = LayerArgs.channel.
    spectrum_average: bool = False              # Show the K-seed average computed for these settings, if any.
    average_seeds: int = 8                      # K of the average shown (SpectrumAverageCommand.seeds computes it).

    def __post_init__(self) -> None:
        _check_choice(self, 'eq_mode', EQ_MODES)
        _check_choice(self, 'eq_layout', EQ_LAYOUTS)
        _check_finite(self, 'eq_scale_max')
        if self.eq_scale_max < 0:
            raise ValueError(f'AnalysisArgs.eq_scale_max = {self.eq_scale_max!r}: expected 0 (automatic) or a positive squared error')
        _check_bool(self, 'spectrum')
        for name in ('spectrum_beta', 'spectrum_db_low', 'spectrum_db_high'):
            _check_finite(self, name)
        if self.spectrum_beta < 0:
            raise ValueError(f'AnalysisArgs.spectrum_beta = {self.spectrum_beta!r}: expected a Kaiser beta >= 0')
        if not self.spectrum_db_low < self.spectrum_db_high:
            raise ValueError(f'AnalysisArgs.spectrum_db_high = {self.spectrum_db_high!r}: expected more than spectrum_db_low = {self.spectrum_db_low!r}')
        _check_choice(self, 'spectrum_channels', SPECTRUM_CHANNELS)
        _check_bool(self, 'spectrum_average')
        _check_int(self, 'average_seeds', minimum=1)


DIRECTION_BASES = ('none', 'sefa', 'pca', 'pose', 'file')  # Where the directions come from (sg3.directions, or a file).
MAX_DIRECTIONS = 512                            # Most strengths a request carries (one per direction; w_dim is 512).


@dataclasses.dataclass(frozen=True)
class DirectionsArgs:
    """Edits along directions in W and imported latents (sg3.directions): W = W0 + sum_k s_k * sigma_k * d_k on the
    W indices [first, last), where W0 is the imported W+ if any, else the seed's (after mixing)."""
    basis: str = 'none'                         # 'none' | 'sefa' | 'pca' | 'pose' | 'file'.
    source: str = ''                            # The direction file (.npy / .npz) of basis 'file'.
    first: int = 0                              # The W-index range edits apply to (and SeFa reads): [first, last).
    last: int | None = None                     # None = num_ws.
    strengths: tuple[float, ...] = ()           # s_k in units of the direction's spread sigma_k; missing = 0.
    keep_pose: bool = False                     # Project StyleGAN3's pose subspace out of the directions.
    pca_samples: int = 10_000                   # PCA on W: samples and their seed (PcaCommand computes it).
    pca_seed: int = 0
    latents: str = ''                           # W / W+ file whose latent replaces the seed's ('' = none).
    latent_index: int = 0                       # Which of its N latents.
    thumbnails: bool = False                    # Show the thumbnail strips (ThumbnailsCommand) of this view instead.

    def __post_init__(self) -> None:
        _check_choice(self, 'basis', DIRECTION_BASES)
        _check_str(self, 'source')
        _check_str(self, 'latents')
        _check_int(self, 'first', minimum=0)
        _check_int(self, 'last', minimum=self.first + 1 if isinstance(self.first, int) else 1, optional=True)
        _check_bool(self, 'keep_pose')
        _check_bool(self, 'thumbnails')
        _check_int(self, 'pca_samples', minimum=2, maximum=1_000_000)
        _check_int(self, 'pca_seed', minimum=0, maximum=SEED_MODULO - 1)
        _check_int(self, 'latent_index', minimum=0)
        values = self.strengths
        if not isinstance(values, (tuple, list)) or len(values) > MAX_DIRECTIONS or not all(
                not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ValueError(f'DirectionsArgs.strengths = {values!r}: expected at most {MAX_DIRECTIONS} finite numbers')
        object.__setattr__(self, 'strengths', tuple(float(v) for v in values))

    def edits(self) -> bool:
        """Does this request move W along any direction?"""
        return self.basis != 'none' and any(self.strengths)


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
    directions: DirectionsArgs = DirectionsArgs()

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
    'noise': NoiseArgs, 'transform': TransformArgs, 'layer': LayerArgs, 'performance': PerformanceArgs, 'analysis': AnalysisArgs,
    'directions': DirectionsArgs}


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
    bf16_supported: bool = False                # Does `device` run bfloat16 convolutions fast (the preview while dragging)?
    bf16_reason: str = ''                       # Why (or why not), e.g. 'CPU with AVX512-BF16'.


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


@dataclasses.dataclass(frozen=True)
class ImagePanel:
    name: str                                   # 'reference' | 'generated' | 'error' | 'colorbar' | 'spectrum'.
    x: int                                      # Left column in RenderResult.image.
    y: int                                      # Top row.
    width: int
    height: int


@dataclasses.dataclass(frozen=True, eq=False)
class EquivarianceView:
    mode: str                                   # 'eqt' | 'eqt_frac' | 'eqr'.
    translate: tuple[float, float]              # Translation compared (image sizes; whole pixels for 'eqt'; 0 for 'eqr').
    angle_deg: float                            # Rotation compared (degrees; 0 for the translations).
    psnr: float                                 # dB with peak 2 (as EQ-T / EQ-R): math.inf when identical, NaN when no pixel is valid.
    mse: float                                  # Mean squared error over the valid pixels.
    error_max: float                            # Largest value of error_map.
    scale_max: float                            # Squared error at the top of the colour scale.
    error_map: np.ndarray                       # [H, W] float32 squared error, mean over channels, 0 outside the mask.
    mask: np.ndarray                            # [H, W] bool: pixels valid in both pictures.
    panels: tuple[ImagePanel, ...] = ()         # Where the pictures are in RenderResult.image.
    identity_reused: bool = False               # The identity render came from the cache (one forward pass).
    notes: tuple[str, ...] = ()                 # E.g. which parts of the transform the mode ignores.


@dataclasses.dataclass(frozen=True, eq=False)
class SpectrumView:
    layer: str                                  # Layer name, or 'output'.
    source: str                                 # What was measured, e.g. 'this latent' or 'average of 8 seeds from seed 0'.
    count: int                                  # Images averaged.
    channel: int | None                         # The one channel measured; None = mean over all channels.
    beta: float                                 # Kaiser window shape.
    db_range: tuple[float, float]               # Colour range of the heatmap.
    sampling_rate: float                        # s: pixels per image unit (cycles per image = cycles per pixel * s).
    cutoff: float | None                        # f_c in cycles per image (None if the layer has no designed cutoff).
    stopband: float | None                      # f_t in cycles per image.
    nyquist: float                              # s / 2 in cycles per image.
    radial_filter: bool                         # Radially symmetric band limit (circles) rather than separable (squares).
    db: np.ndarray                              # [n + 1, m + 1] float32 heatmap in dB (clipped), DC at the centre, +-Nyquist on both borders.
    upscale: int                                # Image pixels per spectrum bin.
    radial_freqs: np.ndarray                    # [K] float32 cycles per image.
    radial_db: np.ndarray                       # [K] float32.
    slice0_freqs: np.ndarray                    # [L] float32 cycles per image, 0 degree (horizontal) slice.
    slice0_db: np.ndarray
    slice45_freqs: np.ndarray                   # [L] float32 cycles per image along the diagonal.
    slice45_db: np.ndarray
    panels: tuple[ImagePanel, ...] = ()
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, eq=False)
class AnalysisResult:
    equivariance: EquivarianceView | None = None
    equivariance_unavailable: str | None = None # Why the heatmap cannot be shown (StyleGAN2 networks).
    spectrum: SpectrumView | None = None
    spectrum_note: str | None = None            # Why no spectrum is shown although it was asked for.


@dataclasses.dataclass(frozen=True)
class DirectionsInfo:
    """What the directions widget shows of the request's directions and imported latents."""
    names: tuple[str, ...] = ()                 # One per direction, in order (largest eigenvalue / variance first).
    sigmas: tuple[float, ...] = ()              # The spread of each (standard deviation of W along it).
    latent_count: int = 0                       # N of the imported latent file (0: none).
    note: str | None = None                     # E.g. 'PCA not computed yet' or why keep pose does not apply.


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
    analysis: AnalysisResult | None = None      # Equivariance and spectrum results (AnalysisArgs).
    directions: DirectionsInfo | None = None    # The directions and imported latents of the request (DirectionsArgs).
    precision: str = 'float32'                  # How the image was rendered: 'float32' (the network's own precision) | 'bfloat16' (preview convolutions).

# ----------------------------------------------------------------------------
# Commands: background work on the render thread, outside the request (RenderWorker.start / cancel).
# Each runs for the view it was started from (`args`), in chunks between live renders, and reports
# `CommandStatus` updates until it is done, cancelled or failed.


@dataclasses.dataclass(frozen=True)
class MetricsCommand:
    """Batch EQ-T, EQ-T_frac and EQ-R over random latents and transforms (as `python -m sg3 equivariance`)."""
    samples: int = 50                           # Latents measured (N).
    seed: int = 0                               # Seed of the latents and transforms.
    kind: ClassVar[str] = 'metrics'

    def __post_init__(self) -> None:
        _check_int(self, 'samples', minimum=1)
        _check_int(self, 'seed', minimum=0, maximum=SEED_MODULO - 1)

    def describe(self) -> str:
        return f'EQ metrics, {self.samples} samples, seed {self.seed}'


@dataclasses.dataclass(frozen=True)
class SpectrumAverageCommand:
    """The spectrum of the view's layer averaged over K seeds from the view's seed; shown when
    AnalysisArgs.spectrum_average is on and average_seeds == seeds."""
    seeds: int = 8                              # K.
    kind: ClassVar[str] = 'average'

    def __post_init__(self) -> None:
        _check_int(self, 'seeds', minimum=1)

    def describe(self) -> str:
        return f'spectrum average over {self.seeds} seeds'


@dataclasses.dataclass(frozen=True)
class ExportSpectrumCommand:
    """The view's spectrum (as shown) as a paper-style PNG figure or .npz arrays, a numbered file in `folder`."""
    format: str = 'png'                         # 'png' | 'npz'.
    folder: str = 'captures'                    # Created when needed.
    kind: ClassVar[str] = 'export'

    def __post_init__(self) -> None:
        _check_choice(self, 'format', EXPORT_FORMATS)
        _check_str(self, 'folder')
        if not self.folder.strip():
            raise ValueError('ExportSpectrumCommand.folder = \'\': expected a folder path')

    def describe(self) -> str:
        return f'spectrum export ({self.format}) into {self.folder}'


GIF_MAX_FPS = 50                                # GIF delays are whole hundredths of a second; players slow down shorter ones.
H264_CRF = (0, 51)                              # Range of VideoCommand.quality (x264's constant rate factor).


@dataclasses.dataclass(frozen=True)
class VideoCommand:
    """A video of a timeline, frame-exact: frame i is rendered from the request frames[i] (the timeline at frame i's
    time, viz.core.timeline.frame_args) exactly as the app renders it, and shown for 1 / fps seconds. The file is
    written under a temporary name and renamed when complete: a cancelled or failed render leaves no file, and
    nothing is overwritten. The timeline's JSON goes beside the video, so any video can be rendered again."""
    frames: tuple[RenderArgs, ...] = dataclasses.field(repr=False)  # One request per frame, in order.
    fps: int = 30                               # Frames per second of the file (24, 30, 60, ...).
    format: str = 'mp4'                         # 'mp4' (H.264, yuv420p) | 'mkv' (lossless FFV1) | 'png' (a folder of frames) | 'gif'.
    scale: int = 1                              # Integer upscale of every frame (nearest neighbour: pixels stay exact).
    quality: int = 18                           # mp4: x264's constant rate factor, 0 (best, largest) .. 51 (worst); 18 looks lossless.
    content: str = 'image'                      # 'image' = the generator's image alone; 'view' = the image area as composed.
    folder: str = 'captures'                    # Where a numbered video-NNNNN.<format> goes when `path` is None.
    path: str | None = None                     # Exact output path (a folder for 'png'); refused if it exists.
    timeline: str = ''                          # The timeline's JSON text, written beside the video ('' = none).
    kind: ClassVar[str] = 'video'

    def __post_init__(self) -> None:
        if not isinstance(self.frames, tuple) or not self.frames or not all(isinstance(f, RenderArgs) for f in self.frames):
            raise ValueError(f'VideoCommand.frames: expected a non-empty tuple of RenderArgs, got {type(self.frames).__name__} '
                f'of {len(self.frames) if isinstance(self.frames, (tuple, list)) else "?"}')
        _check_choice(self, 'format', VIDEO_FORMATS)
        _check_int(self, 'fps', minimum=1, maximum=GIF_MAX_FPS if self.format == 'gif' else 240)
        _check_int(self, 'scale', minimum=1, maximum=16)
        _check_int(self, 'quality', minimum=H264_CRF[0], maximum=H264_CRF[1])
        _check_choice(self, 'content', VIDEO_CONTENTS)
        _check_str(self, 'folder')
        _check_str(self, 'path', optional=True)
        _check_str(self, 'timeline')
        if self.path is None and not self.folder.strip():
            raise ValueError("VideoCommand.folder = '': expected a folder path")
        if self.path is not None and self.format != 'png' and not self.path.lower().endswith(f'.{self.format}'):
            raise ValueError(f'VideoCommand.path = {self.path!r}: expected a name ending in .{self.format} for format {self.format!r}')

    def describe(self) -> str:
        where = self.path if self.path is not None else self.folder
        return f'video ({self.format}), {len(self.frames)} frames at {self.fps} fps into {where}'


@dataclasses.dataclass(frozen=True)
class PcaCommand:
    """PCA on W of the view's network (DirectionsArgs.pca_samples / pca_seed), kept for basis 'pca' and in the user's cache."""
    samples: int = 10_000
    seed: int = 0
    kind: ClassVar[str] = 'pca'

    def __post_init__(self) -> None:
        _check_int(self, 'samples', minimum=2, maximum=1_000_000)
        _check_int(self, 'seed', minimum=0, maximum=SEED_MODULO - 1)

    def describe(self) -> str:
        return f'PCA on W, {self.samples} samples, seed {self.seed}'


@dataclasses.dataclass(frozen=True)
class ThumbnailsCommand:
    """Strips of the view's directions: for each, the image at -span .. +span sigma in `steps` steps (the other strengths
    at 0); shown when DirectionsArgs.thumbnails is on."""
    steps: int = 5
    span: float = 2.0
    size: int = 64                              # Pixels of each thumbnail.
    count: int = 8                              # Directions shown (the first ones).
    kind: ClassVar[str] = 'thumbnails'

    def __post_init__(self) -> None:
        _check_int(self, 'steps', minimum=2, maximum=15)
        _check_finite(self, 'span')
        _check_int(self, 'size', minimum=8, maximum=512)
        _check_int(self, 'count', minimum=1, maximum=64)

    def describe(self) -> str:
        return f'thumbnails of {self.count} directions, -{self.span:g} .. +{self.span:g} sigma'


@dataclasses.dataclass(frozen=True)
class SaveDirectionsCommand:
    """The view's direction set, with its names, as .npz (sg3.latent_files.save_directions) into a numbered file of `folder`."""
    folder: str = 'captures'
    names: tuple[str, ...] = ()                 # The user's names, in order ('' = keep the set's own name).
    kind: ClassVar[str] = 'save_directions'

    def __post_init__(self) -> None:
        _check_str(self, 'folder')
        if not isinstance(self.names, tuple) or not all(isinstance(n, str) for n in self.names):
            raise ValueError(f'SaveDirectionsCommand.names = {self.names!r}: expected a tuple of strings')

    def describe(self) -> str:
        return f'direction set into {self.folder}'


@dataclasses.dataclass(frozen=True)
class ExportLatentCommand:
    """The view's W+ (with its edits) in NVIDIA's projector format (.npz, w [1, num_ws, w_dim]) into a numbered file of `folder`."""
    folder: str = 'captures'
    kind: ClassVar[str] = 'export_w'

    def __post_init__(self) -> None:
        _check_str(self, 'folder')

    def describe(self) -> str:
        return f'W+ export into {self.folder}'


DIRECTION_COMMANDS = (PcaCommand, ThumbnailsCommand, SaveDirectionsCommand, ExportLatentCommand)
Command = (MetricsCommand | SpectrumAverageCommand | ExportSpectrumCommand | VideoCommand | PcaCommand | ThumbnailsCommand
    | SaveDirectionsCommand | ExportLatentCommand)


@dataclasses.dataclass(frozen=True)
class CommandStatus:
    command_id: int                             # What RenderWorker.start returned.
    kind: str                                   # The command's kind ('metrics', 'average', 'export', ...).
    state: str                                  # 'queued' | 'running' | 'done' | 'cancelled' | 'failed'.
    done: int = 0                               # Units done (samples, seeds, frames).
    total: int = 0                              # Units asked for.
    description: str = ''                       # E.g. 'EQ metrics, 50 samples, seed 0'.
    error: str | None = None                    # Why it failed or was cancelled (None when cancelled by the user).
    seconds: float = 0.0                        # Time spent on it so far.
    psnr: tuple[tuple[str, float], ...] = ()    # Metrics: (kind, dB) for 'eqt', 'eqt_frac', 'eqr' (partial when cancelled).
    path: str | None = None                     # Exports: the file written.

    @property
    def finished(self) -> bool:
        return self.state in ('done', 'cancelled', 'failed')

    @property
    def seconds_left(self) -> float | None:
        """Estimated time to finish, from the rate so far (None before the first unit)."""
        if self.state != 'running' or self.done <= 0 or self.total <= self.done:
            return None
        return self.seconds / self.done * (self.total - self.done)
