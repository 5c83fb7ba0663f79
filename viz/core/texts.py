"""What the front ends write: the labels of choices, help texts, and the text of results, background commands,
the status bar and the messages over the image. No toolkit: the imgui views and the Tk panels take their words
and numbers from here, so both show the same facts the same way.

A `tone` says how a line is meant: 'plain', 'dim' (a note), 'warning' or 'error'; each front end has its colours.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Iterable

import numpy as np

from viz.core.controllers.layers import LayersController
from viz.protocol import CommandStatus, EquivarianceView, LayerInfo, LayerStats, RenderResult, SpectrumView

if TYPE_CHECKING:
    from viz.core.view_core import ViewCore

APP_TITLE = 'sg3-viz'

# ----------------------------------------------------------------------------
# Equivariance.

MODE_LABELS = {'off': 'Off', 'eqt': 'EQ-T', 'eqt_frac': 'EQ-T frac', 'eqr': 'EQ-R'}
MODE_HELP = {
    'off': 'Show the normal image',
    'eqt': 'Integer translation: the input transform\'s translation rounded to whole pixels',
    'eqt_frac': 'Fractional translation: the input transform\'s translation, band-limited sub-pixel shift',
    'eqr': 'Rotation: the input transform\'s angle, band-limited rotation',
}
LAYOUT_LABELS = {'side': 'Side by side', 'reference': 'Reference', 'generated': 'Generated', 'error': 'Error'}
KIND_LABELS = {'eqt': 'EQ-T', 'eqt_frac': 'EQ-T_frac', 'eqr': 'EQ-R'}
PSNR_PLOT_CAP = 100.0                           # Identical pictures (infinite PSNR) are plotted at this height.
METRICS_NOTE = 'Batch metrics: EQ-T, EQ-T_frac and EQ-R over random latents and transforms'
METRICS_HELP = ('Runs on the render thread between live renders; the same numbers as\n'
    'python -m sg3 equivariance --num N --seed S.')


def format_psnr(value: float) -> str:
    """'31.24 dB', 'inf dB (identical)', 'n/a (no valid pixels)'."""
    if math.isnan(value):
        return 'n/a (no valid pixels)'
    if math.isinf(value):
        return 'inf dB (identical)'
    return f'{value:.2f} dB'


def psnr_help(view: EquivarianceView) -> str:
    """The PSNR's tooltip: what it measures, the MSE, the largest error and the colour scale."""
    return (f'{KIND_LABELS[view.mode]} of this latent and transform (peak 2, as the paper); click to copy\n'
        f'MSE {view.mse:.3e}, largest error {view.error_max:.3e}, colour scale 0 .. {view.scale_max:.3e}')


def psnr_detail(view: EquivarianceView) -> str:
    """'EQ-T  t = (+0.0100, +0.0000)  angle +0.00 deg': the transform the PSNR compares."""
    return f'{KIND_LABELS[view.mode]}  t = ({view.translate[0]:+.4f}, {view.translate[1]:+.4f})  angle {view.angle_deg:+.2f} deg'


def psnr_history(values: Iterable[float]) -> tuple[np.ndarray, str] | None:
    """The PSNR history to plot (float32, infinite values capped) and its caption, or None with fewer than 2 values."""
    data = np.minimum(np.asarray(list(values), dtype=np.float32), PSNR_PLOT_CAP)
    if data.size < 2:
        return None
    return data, f'{float(data.min()):.1f} .. {float(data.max()):.1f} dB'

# ----------------------------------------------------------------------------
# Spectrum.

MARKERS = (                                     # (SpectrumView field, label, RGBA) as drawn over the plots.
    ('cutoff', 'f_c', (0.24, 0.90, 0.35, 1.0)),
    ('stopband', 'f_t', (1.00, 0.27, 0.24, 1.0)),
    ('nyquist', 's/2', (0.98, 0.98, 0.98, 1.0)),
)
CHANNEL_LABELS = {'all': 'All', 'selected': 'Selected in Layers'}


def marker_text(view: SpectrumView) -> str:
    """'f_c 4  f_t 8  s/2 8 cycles per image (separable filter)'."""
    parts = '  '.join(f'{text} {getattr(view, name):.4g}' for name, text, _ in MARKERS if getattr(view, name) is not None)
    if view.cutoff is None:
        return parts + ' cycles per image'
    return parts + f' cycles per image ({"radial" if view.radial_filter else "separable"} filter)'


def spectrum_caption(view: SpectrumView) -> str:
    """What was measured: layer, source, channel and sampling rate."""
    what = f'{view.layer}, {view.source}' + ('' if view.channel is None else f', channel {view.channel}')
    return f'{what}; sampling rate {view.sampling_rate:g}'


def spectrum_plots(view: SpectrumView) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(name, frequencies, dB, diagonal) of each profile to plot; `diagonal` scales the markers (a square's band
    limit crosses the 45 degree slice at sqrt(2) times the cutoff)."""
    plots = (('Radial mean', view.radial_freqs, view.radial_db, 1.0),
        ('0 deg slice', view.slice0_freqs, view.slice0_db, 1.0),
        ('45 deg slice', view.slice45_freqs, view.slice45_db, 1.0 if view.radial_filter else math.sqrt(2)))
    return [(name, freqs, np.ascontiguousarray(db, dtype=np.float32), diagonal) for name, freqs, db, diagonal in plots if len(db) >= 2]


def plot_range_text(view: SpectrumView) -> str:
    low, high = view.db_range
    return (f'Plots: 0 .. {view.nyquist * math.sqrt(2):.4g} cycles per image (radial, 45 deg), '
        f'0 .. {view.nyquist:.4g} (0 deg); {low:g} .. {high:g} dB')


def export_text(status: CommandStatus | None) -> tuple[str, str] | None:
    """(text, tone) of the newest spectrum export, or None."""
    if status is None:
        return None
    if status.state == 'done':
        return f'Saved {status.path}', 'dim'
    if status.state == 'failed':
        return status.error or 'Export failed', 'error'
    return ('Saving...', 'dim') if not status.finished else None

# ----------------------------------------------------------------------------
# Layers.

OUTPUT_NAME = 'output'                          # Shown name of the generator output (LayerArgs.name = None).
VIEW_LABELS = {'rgb': 'RGB', 'channel': 'One channel'}


LAYER_COLUMNS = ('Layer', 'Channels', 'Size', 'Type', 's', 'f_c', 'f_t', 'Margin')  # The layer table's columns.


def layer_row(info: LayerInfo) -> tuple[str, ...]:
    """The layer table's cells (LAYER_COLUMNS): name, channels, size, dtype, sampling rate, cutoff, stopband, margin."""
    _n, c, h, w = info.shape
    number = lambda value, fmt: '' if value is None else format(value, fmt)
    return (info.name, str(c), f'{h}x{w}', info.dtype, number(info.sampling_rate, 'g'), number(info.cutoff, '.3g'),
        number(info.stopband, '.3g'), str(info.margin) if info.margin else '')


def channel_format(view: str, channels: int) -> str:
    """printf format of the channel slider's value: 'channels %d.. of 512' or 'channel %d of 512'."""
    return ('channels %d..' if view == 'rgb' else 'channel %d') + f' of {channels}'


def stats_lines(stats: LayerStats | None, state: LayersController.State) -> list[str]:
    """The shown layer's statistics, then those of the channels shown."""
    if stats is None:
        return []
    lines = [f'{stats.name}: mean {stats.mean:+.3g}  std {stats.std:.3g}  min {stats.min:+.3g}  max {stats.max:+.3g}']
    count = len(stats.channel_mean)
    if not count:
        return lines
    if state.view == 'rgb' and count >= 3:
        base = min(state.channel, count - 3)
        shown = range(base, base + 3)
    else:
        shown = [min(state.channel, count - 1) if state.view == 'channel' else 0]
    for c in shown:
        lines.append(f'  ch {c}: mean {stats.channel_mean[c]:+.3g}  std {stats.channel_std[c]:.3g}  '
            f'min {stats.channel_min[c]:+.3g}  max {stats.channel_max[c]:+.3g}')
    return lines

# ----------------------------------------------------------------------------
# Network.

SOURCE_HELP = 'File path, http(s) URL or builtin:NAME; press Enter to load. You can also drop a file on the window.'
KEY_HELP = 'Which generator inside the file (e.g. G_ema); empty = the default. Press Enter.'
UNTRAINED_LABEL = '(untrained demos)'
UNTRAINED_HELP = ('The built-in networks have random weights: their images are colour blobs by design, for exploring the '
    "controls and the analysis; open a trained network (Open..., NVIDIA's published networks) for real images.")
OPEN_HELP = 'Browse folders for networks (.pkl, .safetensors), sessions and timelines (.json)'
SYSTEM_DIALOG_HELP = "The desktop's own file dialog; the window keeps running while it is open"
RECENT_PLACEHOLDER = 'Recent networks...'
PUBLISHED_PLACEHOLDER = "NVIDIA's published networks..."
PUBLISHED_HELP = ('Trained StyleGAN3 and StyleGAN2 networks NVIDIA published: a click downloads one into the cache, with '
    'progress, and opens it (from then on it opens from the cache)')


def published_help(net) -> str:
    """A published network's tooltip: its file, URL and size where known."""
    size = f'{net.size_mb:.0f} MB' if net.size_mb else 'size not published'
    return f'{net.file}\n{net.url}\n{size}'


def network_status(core: 'ViewCore') -> list[tuple[str, str]]:
    """(text, tone) lines under the network entry: loading progress, the load error, the loaded network's description."""
    lines = []
    result = core.result
    if core.loading:
        lines.append((core.loading, 'dim'))
    if result is None or result.args is None or result.args.network.source != core.network.state.source:
        return lines
    if result.network is None and result.error and not core.loading:
        lines.append((f'Cannot load: {result.error}', 'error'))
    if result.network is not None:
        lines += [(line, 'plain') for line in result.network.description]
        if result.network.source.startswith('builtin:'):
            lines.append((f'Untrained demo: {UNTRAINED_HELP}', 'dim'))
    return lines

# ----------------------------------------------------------------------------
# Performance.

PREVIEW_LABEL = 'bf16 preview while dragging'
PREVIEW_HELP = ('While you drag in the image or hold a control, run the convolutions in bfloat16: up to 1.2-1.4x faster '
    'for StyleGAN3-R and StyleGAN2 networks (StyleGAN3-T: unchanged), slightly less exact, tagged "bf16 preview" on the image. '
    'Releasing renders the exact float32 image')
PREVIEW_TAG = 'bf16 preview'                    # Over an image rendered with the preview.
TRANSFORM_PREVIEW_LABEL = 'Transform preview'
TRANSFORM_PREVIEW_HELP = ('StyleGAN3: while you translate or rotate, show the last image moved along at once (the network '
    'is built to move its picture with the input transform), tagged "preview", until the exact render replaces it. '
    'Where the moved image leaves a gap, the area is grey')
TRANSFORM_PREVIEW_TAG = 'preview'               # Over the last image drawn moved by the transform preview.


def summarize_ms(seconds) -> str:
    """'mean 12.3 ms, p95 20.1 ms' for a sequence of durations in seconds."""
    values = np.asarray(seconds, dtype=np.float64) * 1e3
    if values.size == 0:
        return 'no data'
    return f'mean {values.mean():.1f} ms, p95 {np.percentile(values, 95):.1f} ms'

# ----------------------------------------------------------------------------
# Timeline and video.

EASING_LABELS = {'linear': 'Linear', 'smooth': 'Smooth', 'catmull-rom': 'Catmull-Rom'}
LATENT_LABELS = {'seeds': 'Seed position', 'linear': 'W, linear', 'spherical': 'W, spherical'}
FORMAT_LABELS = {'mp4': 'MP4 (H.264)', 'mkv': 'MKV (lossless FFV1)', 'png': 'PNG frames', 'gif': 'GIF'}
CONTENT_LABELS = {'image': 'Image', 'view': 'Image area as shown'}
FPS_CHOICES = (24, 30, 60)
GIF_FPS_LIMIT = 50                              # GIF frame delays are whole hundredths of a second.
NO_KEYFRAMES = 'No keyframes yet: set up a view and add it, or record a performance.'
VIDEO_HELP = ('Render the timeline frame by frame at full quality into the capture folder, in the background;\n'
    'the timeline JSON is saved beside the video')


@dataclasses.dataclass(frozen=True)
class VideoSettings:
    """How the next video is rendered (front-end settings, not part of the view): ViewCore.render_video's arguments."""
    format: str = 'mp4'
    fps: int = 30
    scale: int = 1
    quality: int = 18
    content: str = 'image'

    def with_format(self, format: str) -> 'VideoSettings':
        """Another format, its frame rate lowered to what the format can hold."""
        return dataclasses.replace(self, format=format, fps=min(self.fps, GIF_FPS_LIMIT) if format == 'gif' else self.fps)

    def fps_choices(self) -> dict[str, str]:
        """{'30': '30 fps', ...}: the frame rates offered for the format."""
        return {str(f): f'{f} fps' for f in FPS_CHOICES if f <= GIF_FPS_LIMIT or self.format != 'gif'}

    def arguments(self) -> dict:
        return dataclasses.asdict(self)


def describe_keyframe(key) -> str:
    """A keyframe (viz.core.timeline.Keyframe) in a few words: its seed position and transform."""
    latent = key.controllers.get('latent', {})
    transform = key.controllers.get('transform', {})
    text = f'seed {latent.get("x", 0):g}' + (f', {latent.get("y", 0):g}' if latent.get('y') else '')
    if transform.get('x') or transform.get('y'):
        text += f'  t ({transform.get("x", 0):.3g}, {transform.get("y", 0):.3g})'
    if transform.get('angle_deg'):
        text += f'  {transform["angle_deg"]:.3g} deg'
    return text

# ----------------------------------------------------------------------------
# Background commands.


def command_text(status: CommandStatus | None) -> tuple[str, str, float | None] | None:
    """(text, tone, progress) of a background command: progress is the fraction done while it runs (shown as a
    bar with the text on it), else None; None for no command."""
    if status is None:
        return None
    overlay = f'{status.done} / {status.total}'
    if status.state == 'queued':
        return 'Waiting to start...', 'dim', None
    if status.state == 'running':
        left = status.seconds_left
        return overlay + ('' if left is None else f', {left:.0f} s left'), 'plain', status.done / status.total if status.total else 0.0
    if status.state == 'failed':
        return f'Failed: {status.error}', 'error', None
    if status.state == 'cancelled':
        return f'Cancelled after {overlay}' + (f' ({status.error})' if status.error else ''), 'warning', None
    return f'Done: {overlay} in {status.seconds:.1f} s', 'dim', None

# ----------------------------------------------------------------------------
# The window: title, status bar, what is drawn over the image.


def window_title(core: 'ViewCore') -> str:
    """'sg3-viz - builtin:sg3-t' once a network is shown, else 'sg3-viz'."""
    network = core.facts.network
    return APP_TITLE if network is None else f'{APP_TITLE} - {network.source}'


def image_text(size: tuple[int, int] | None, zoom: float | None, fit: bool) -> str | None:
    """'Image 256x256, zoom 2x (fit)' for the View section, or None before the first image."""
    if size is None or zoom is None:
        return None
    return f'Image {size[0]}x{size[1]}, zoom {zoom:.3g}x' + (' (fit)' if fit else '')


def status_text(pixel: str | None, zoom: float | None, result: RenderResult | None, pending: bool, has_image: bool) -> str:
    """The status bar: the pixel under the cursor, the zoom, the render time, and 'rendering...'."""
    parts = []
    if pixel is not None:
        parts.append(pixel)
    if zoom is not None:
        parts.append(f'zoom {zoom:.3g}x')
    if result is not None and result.render_seconds:
        preview = f' ({PREVIEW_TAG})' if result.precision == 'bfloat16' else ''
        parts.append(f'render {result.render_seconds * 1000:.0f} ms{preview}')
    if pending and has_image:
        parts.append('rendering...')
    return '   '.join(parts)


@dataclasses.dataclass(frozen=True)
class Overlay:
    errors: tuple[str, ...]                     # Over the top of the image: the render's error, then the app's.
    loading: str | None                         # In the middle of the image area.
    preview: bool                               # Tag the image as a bf16 preview.
    status: str                                 # The status bar, with the info message.


def overlay(core: 'ViewCore', pixel: str | None, zoom: float | None, has_image: bool, note: str = '') -> Overlay:
    """What to draw over and under the image: errors (of the newest render, or of the app such as a bad session
    file), the loading text, the preview tag, and the status bar with info messages (`note` is the front
    end's own, e.g. how it draws)."""
    message = core.visible_message()
    errors = [core.result.error] if core.result is not None and core.result.error else []
    status = status_text(pixel, zoom, core.result, core.render_pending(), has_image)
    if message is not None and message.error:
        errors.append(message.text)
    elif message is not None:
        status = f'{status}   {message.text}' if status else message.text
    if note:
        status = f'{status}   {note}' if status else note
    loading = core.loading or ('Loading...' if not has_image and core.render_pending() else None)
    return Overlay(errors=tuple(errors), loading=loading, preview=has_image and core.shown_precision == 'bfloat16', status=status)


# Directions (viz.core.controllers.directions).
DIRECTION_BASIS_LABELS = {'none': 'None', 'sefa': 'SeFa', 'pca': 'PCA', 'pose': 'Pose', 'file': 'File'}
DIRECTIONS_HELP = ('Directions in W: SeFa (closed form, from the style affines of the chosen W indices), PCA on W samples, '
    'the StyleGAN3 pose subspace, or a .npy / .npz file (e.g. InterFaceGAN boundaries). Strengths are in units of each '
    "direction's spread sigma.")
DIRECTION_TIPS = {
    'keep pose': 'Project the StyleGAN3 pose subspace (synthesis.input.affine) out of the directions: edits do not move the image',
    'range': 'Edits apply to W indices first .. last - 1 (SeFa reads the style affines of these)',
    'thumbnails': 'Strips of -2 .. +2 sigma for each direction, in the image area',
    'save': 'The directions with their names as directions-NNNNN.npz in the capture folder',
    'export': 'The current W+ (with the edits) as w-NNNNN.npz (NVIDIA projector format); the sg3 script line is copied',
}


def pca_tip(samples: int) -> str:
    return f'PCA on {samples} W samples in the background (cached for this network)'
