"""RenderArgs -> RenderResult on the render thread. No imgui, no OpenGL.

One render: load (or reuse) the network, map the seeds around the latent position (cached), blend
their W bilinearly, mix styles, set the input transform, run the synthesis network up to the chosen
layer, optionally resample back by the inverse transform, compute statistics and convert to an 8-bit
image. Any failure becomes `RenderResult.error`; the renderer stays usable for the next request.

The image is `clamp(floor(x * g * 127.5 + 128), 0, 255)` of the shown channels x (g = 10 ** (gain_db / 20),
after dividing each channel by its largest magnitude if normalize), the same 8-bit conversion as
NVIDIA's tools.

Preview precision: while the user drags (`PerformanceArgs.interacting`) with the bfloat16 preview on, and
the device runs bfloat16 convolutions fast (`sg3.ops.bfloat16_support`), the synthesis network's modulated
convolutions run in bfloat16 (`RenderResult.precision == 'bfloat16'`). The mapping network, the caches of
full-precision results and background jobs stay float32; every other request renders exactly as without it.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from typing import Any, Callable

import numpy as np
import torch

import sg3.ops
from viz.render import analysis as render_analysis, ops as render_ops
from viz.protocol import LayerArgs, LayerInfo, LayerStats, NetworkSummary, RenderArgs, RenderResult

# load_fn(source, device, key, progress) -> generator module (eval mode, on `device`); progress(text) may
# be called with progress text while it loads (e.g. download progress).
LoadFn = Callable[[str, str, 'str | None', 'Callable[[str], None] | None'], torch.nn.Module]


class RenderError(ValueError):
    """A request this network or machine cannot honour (unavailable device, class out of range, ...)."""


def default_load(source: str, device: str, key: str | None, progress: Callable[[str], None] | None = None) -> torch.nn.Module:
    """sg3.load_generator, reporting download progress for URLs (at most every 0.2 s)."""
    import sg3
    kwargs: dict[str, Any] = {}
    if progress is not None and source.lower().startswith(('http://', 'https://')):
        last = [0.0]

        def report(done: int, total: int | None) -> None:
            now = time.perf_counter()
            if now - last[0] < 0.2 and done != total:
                return
            last[0] = now
            size = f'{done / 1e6:.1f} of {total / 1e6:.1f} MB ({100 * done / total:.0f}%)' if total else f'{done / 1e6:.1f} MB'
            progress(f'Downloading {source}: {size}')
        kwargs['progress'] = report
    return sg3.load_generator(source, device=device, key=key, **kwargs)


def resolve_device(name: str) -> str:
    """sg3.resolve_device ('auto' -> cuda, else mps, else cpu; explicit devices must exist) as a string; a device
    this machine lacks is a RenderError, shown in the image area."""
    import sg3
    try:
        return str(sg3.resolve_device(name))
    except sg3.Sg3Error as e:
        raise RenderError(str(e)) from None


def format_error(e: BaseException) -> str:
    """A one-paragraph message for the image area."""
    if isinstance(e, MemoryError) or 'out of memory' in str(e).lower():
        return f'Out of memory: {e}. Try a smaller network, device cpu, or close other programs.'.replace('\n', ' ')
    if isinstance(e, ValueError):  # Sg3Error, RenderError and friends carry user-facing messages.
        return str(e)
    return f'{type(e).__name__}: {e}'


class _LRU(collections.OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        return value


class Renderer:
    def __init__(
        self,
        load_fn: LoadFn = default_load,             # Loads a generator; tests pass tiny networks.
        max_networks: int = 2,                      # Loaded networks kept in memory.
        max_mappings: int = 64,                     # Mapping outputs kept (per seed, class, psi, cutoff).
    ) -> None:
        self._load_fn = load_fn
        self._networks = _LRU(max_networks)         # (source, key, device) -> (G, NetworkSummary)
        self._mappings = _LRU(max_mappings)         # (net key, seed, class, psi, cutoff) -> ws [1, num_ws, w_dim]
        self._layer_lists = _LRU(16)                # (net key, force_fp32, noise_mode) -> tuple[LayerInfo, ...]
        self._failed: tuple[tuple, str] | None = None  # Last failed load: (net key, message), not retried until the source changes.
        self.analysis = render_analysis.AnalysisRenderer()  # Equivariance, spectrum, background jobs, exports.
        self._net_key: tuple | None = None          # Network of the render in progress.

    # ------------------------------------------------------------------------

    def render(
        self,
        args: RenderArgs,
        stamp: int = 0,
        cancel: threading.Event | None = None,
        progress: Callable[[RenderResult], None] | None = None,
    ) -> RenderResult:
        """Never raises (except RenderCancelled when `cancel` is set): failures come back as `error`."""
        start = time.perf_counter()
        fields: dict[str, Any] = {}
        self.analysis.begin()
        self._net_key = None
        try:
            self._render(args, stamp, cancel, progress, fields)
        except render_ops.RenderCancelled:
            return RenderResult(stamp=stamp, error='cancelled', args=args)
        except Exception as e:  # Errors are data.
            fields['error'] = format_error(e)
            fields.pop('image', None)
            if isinstance(e, MemoryError) or 'out of memory' in str(e).lower():
                self._mappings.clear()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
        self.analysis.finish(args, fields)
        result = RenderResult(stamp=stamp, args=args, render_seconds=time.perf_counter() - start, **fields)
        self.analysis.remember(result, self._net_key)
        return result

    __call__ = render  # A Renderer is a RenderWorker render function.

    def step_job(self, cancel: threading.Event) -> RenderResult | None:
        """One chunk of the background job (EQ metrics, spectrum average), for RenderWorker between renders."""
        return self.analysis.step_job(cancel)

    def get_network(self, source: str, key: str | None, device: str,
            progress: Callable[[str], None] | None = None) -> tuple[torch.nn.Module, NetworkSummary]:
        """The cached generator and its summary; loads on first use."""
        net_key = (source, key, device)
        if net_key in self._networks:
            self._networks.move_to_end(net_key)
            return self._networks[net_key]
        if self._failed is not None and self._failed[0] == net_key:
            raise RenderError(self._failed[1])
        if progress is not None:
            progress(f'Loading {source} on {device}...')
        try:
            G = self._load_fn(source, device, key, progress)
        except Exception as e:
            self._failed = (net_key, format_error(e))
            raise
        self._failed = None
        G.eval().requires_grad_(False)
        entry = (G, _summarize(G, source, device))
        self._networks.get_or(net_key, lambda: entry)
        return entry

    # ------------------------------------------------------------------------

    def _render(self, args: RenderArgs, stamp: int, cancel: threading.Event | None,
            progress: Callable[[RenderResult], None] | None, fields: dict) -> None:
        device = resolve_device(args.performance.device)
        report = None
        if progress is not None:
            report = lambda text: progress(RenderResult(stamp=stamp, loading=text, args=args))
        net_key = (args.network.source, args.network.key, device)
        G, summary = self.get_network(*net_key, progress=report)
        fields['network'] = summary
        fields['image_resolution'] = G.img_resolution
        self._net_key = net_key
        self.analysis.update_jobs(G, net_key, args)
        if cancel is not None and cancel.is_set():
            raise render_ops.RenderCancelled()

        preview = args.performance.wants_bf16() and summary.bf16_supported
        fields['precision'] = 'bfloat16' if preview else 'float32'
        with torch.no_grad():
            ws = self._blend_ws(G, net_key, args)
            with sg3.ops.use_conv_dtype(torch.bfloat16 if preview else None):
                self._render_image(G, net_key, args, ws, cancel, fields)

    def _render_image(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, ws: torch.Tensor,
            cancel: threading.Event | None, fields: dict) -> None:
        """The picture of one request from its blended ws: the heatmap, the spectrum or the (layer) image."""
        if self.analysis.wants_equivariance(G, args):
            # The heatmap replaces the image: one forward pass per frame while only the transform changes.
            list_key = (net_key, args.performance.force_fp32, args.noise.mode)
            if list_key not in self._layer_lists:
                self._synthesize(G, net_key, dataclasses.replace(args, layer=LayerArgs()), ws, cancel, fields)
            fields['layers'] = self._layer_lists[list_key]
            self.analysis.equivariance(G, net_key, args, ws, fields)
            return
        out, layer = self._synthesize(G, net_key, args, ws, cancel, fields)
        self._finish_image(G, args, out, layer, fields)
        if args.analysis.spectrum:
            self.analysis.spectrum(G, net_key, args, out, fields)

    def _mapping(self, G: torch.nn.Module, net_key: tuple, seed: int, args: RenderArgs) -> torch.Tensor:
        """ws [1, num_ws, w_dim] of one seed: z (and a class for conditional networks) drawn from
        RandomState(seed) as NVIDIA's viewer does, truncated."""
        class_idx = args.latent.class_idx if G.c_dim > 0 else None
        if class_idx is not None and class_idx >= G.c_dim:
            raise RenderError(f'class {class_idx}: this network has {G.c_dim} classes; expected 0 to {G.c_dim - 1}')
        psi = args.truncation.psi
        cutoff = args.truncation.cutoff if args.truncation.cutoff is None else min(args.truncation.cutoff, G.num_ws)

        def compute() -> torch.Tensor:
            rnd = np.random.RandomState(seed)
            z = torch.from_numpy(rnd.randn(1, G.z_dim).astype(np.float32)).to(G.mapping.w_avg.device)
            c = None
            if G.c_dim > 0:
                c = torch.zeros([1, G.c_dim], device=z.device)
                c[0, class_idx if class_idx is not None else rnd.randint(G.c_dim)] = 1
            return G.mapping(z, c, truncation_psi=psi, truncation_cutoff=cutoff)

        return self._mappings.get_or((net_key, seed, class_idx, psi, cutoff), compute)

    def _blend_ws(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs) -> torch.Tensor:
        """Bilinear blend of the four neighbouring seeds' ws, then style mixing."""
        pairs = args.latent.seed_weights()
        ws = sum(self._mapping(G, net_key, seed, args) * weight for seed, weight in pairs) if len(pairs) > 1 \
            else self._mapping(G, net_key, pairs[0][0], args).clone()
        mix_idx = list(args.mix.indices(G.num_ws))
        if mix_idx:
            ws[:, mix_idx] = self._mapping(G, net_key, args.mix.seed, args)[:, mix_idx]
        return ws

    def _synthesize(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, ws: torch.Tensor,
            cancel: threading.Event | None, fields: dict) -> tuple[torch.Tensor, render_ops.CapturedLayer | None]:
        """Run synthesis with the input transform set, up to the selected layer; fills fields['layers']."""
        kwargs = dict(noise_mode=args.noise.mode, force_fp32=args.performance.force_fp32)
        list_key = (net_key, kwargs['force_fp32'], kwargs['noise_mode'])
        capture = args.layer.name

        # Set the input transform (the inverse of the user's), restored afterwards.
        transform = getattr(G.synthesis.input, 'transform', None) if hasattr(G.synthesis, 'input') else None
        saved = None
        if transform is not None:
            m = args.transform.matrix()
            if abs(np.linalg.det(m[:2, :2])) < 1e-12:
                from sg3.errors import TransformError
                raise TransformError(f'input transform with scale {args.transform.scale:g}: the matrix is singular; expected a non-zero scale')
            saved = transform.clone()
            transform.copy_(torch.from_numpy(np.linalg.inv(m)).to(transform))
        try:
            devices = [torch.device(ws.device).index or 0] if ws.device.type == 'cuda' else []
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(args.noise.seed)
                out, layers = render_ops.run_synthesis(G.synthesis, ws, capture=capture, cancel=cancel, **kwargs)
            if list_key not in self._layer_lists:
                if capture is not None:  # The early exit saw only part of the network: list it once in full.
                    with torch.random.fork_rng(devices=devices):
                        _, layers = render_ops.run_synthesis(G.synthesis, ws, capture=None, cancel=cancel, **kwargs)
                self._layer_lists[list_key] = tuple(_layer_info(layer) for layer in layers)
        finally:
            if saved is not None:
                transform.copy_(saved)
        fields['layers'] = self._layer_lists[list_key]

        if capture is None:
            return out, None
        matches = [layer for layer in layers if layer.name == capture]
        if not matches:
            names = ', '.join(info.name for info in fields['layers'])
            raise RenderError(f'layer {capture!r}: not a layer of this network; expected one of {names}')
        return out, matches[0]

    def _finish_image(self, G: torch.nn.Module, args: RenderArgs, out: torch.Tensor,
            layer: render_ops.CapturedLayer | None, fields: dict) -> None:
        """Untransform, crop, statistics, channel selection and 8-bit conversion of the first image."""
        la = args.layer
        x = out[:1].to(torch.float32)
        name = 'output' if layer is None else layer.name
        rate, margin = None, 0
        if layer is not None:
            rate, _cutoff, _stopband, margin = render_ops.layer_geometry(layer.module, x.shape[3])
        fields['stats'] = LayerStats(name=name, **render_ops.channel_stats(x[0]))
        if args.transform.untransform and G.has_input_transform and not args.transform.is_identity():
            x = render_ops.untransform(x, args.transform.matrix(), unit=rate if rate else x.shape[3])
        if la.crop_margins and margin > 0 and x.shape[2] > 2 * margin and x.shape[3] > 2 * margin:
            x = x[:, :, margin:-margin, margin:-margin]
        shown, _idx = render_ops.select_channels(x[0], la.view, la.channel)
        fields['image'] = render_ops.to_uint8(shown, normalize=la.normalize, gain_db=la.gain_db)

# ----------------------------------------------------------------------------


def _layer_info(layer: render_ops.CapturedLayer) -> LayerInfo:
    rate, cutoff, stopband, margin = render_ops.layer_geometry(layer.module, layer.shape[3])
    return LayerInfo(name=layer.name, shape=layer.shape, channels=layer.shape[1], dtype=layer.dtype,
        sampling_rate=rate, cutoff=cutoff, stopband=stopband, margin=margin)


def _summarize(G: torch.nn.Module, source: str, device: str) -> NetworkSummary:
    arch = getattr(G, 'architecture', type(G).__module__)
    num_params = sum(p.numel() for p in G.parameters())
    has_transform = bool(getattr(G, 'has_input_transform', False))
    has_noise = bool(getattr(G, 'has_noise', False))
    bf16_supported, bf16_reason = sg3.ops.bfloat16_support(device)
    description = (
        f'{arch}, {G.img_resolution}x{G.img_resolution}, {G.img_channels} channel(s)',
        f'z {G.z_dim}, w {G.w_dim}, {G.num_ws} ws, ' + (f'{G.c_dim} classes' if G.c_dim else 'unconditional'),
        f'{num_params / 1e6:.2f} M parameters on {device}',
        ('input transform' if has_transform else 'no input transform') + ', ' + ('noise inputs' if has_noise else 'no noise inputs'),
    )
    return NetworkSummary(source=source, architecture=arch, img_resolution=int(G.img_resolution),
        img_channels=int(G.img_channels), z_dim=int(G.z_dim), c_dim=int(G.c_dim), w_dim=int(G.w_dim),
        num_ws=int(G.num_ws), num_params=int(num_params), device=device, has_transform=has_transform,
        has_noise=has_noise, description=description, bf16_supported=bool(bf16_supported), bf16_reason=str(bf16_reason))
