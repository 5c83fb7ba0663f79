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
full-precision results and background commands stay float32; every other request renders exactly as without it.

Background commands (`RenderWorker.start`): `start_command` gets the command's network and hands the work
to `viz.render.analysis` (EQ metrics, K-seed spectrum averages, spectrum exports); videos of timelines go to
`viz.render.video`, which renders every frame through `render`.

Cancelling: the worker's cancel event reaches the load (a download stops between chunks or while it waits for
the server, sg3.download) and the synthesis (between layers). A load that was cancelled is not remembered as
failed: asking for the network again loads it again. Fault injection for the reliability tests (viz.faults):
the points 'render' (each request), 'load' (each network load) and 'command' (each chunk of a command).
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
import time
from typing import Any, Callable

import torch

import sg3.ops
from sg3 import pipeline, spectra
from sg3.transforms import invert_transform, make_transform
from viz import faults
from viz.render import analysis as render_analysis, ops as render_ops, video as render_video
from viz.render.directions import DirectionsRenderer
from viz.render.cache import LRU
from viz.protocol import DIRECTION_COMMANDS, Command, LatentArgs, LayerArgs, LayerInfo, LayerStats, NetworkSummary, RenderArgs, RenderResult, VideoCommand

# load_fn(source, device, key, progress) -> generator module (eval mode, on `device`); progress(text) may
# be called with progress text while it loads (e.g. download progress). A load_fn that takes a keyword `cancel`
# gets the render's cancel event (a threading.Event: stop soon when it is set).
LoadFn = Callable[[str, str, 'str | None', 'Callable[[str], None] | None'], torch.nn.Module]


class RenderError(ValueError):
    """A request this network or machine cannot honour (unavailable device, class out of range, ...)."""


class LoadCancelled(render_ops.RenderCancelled):
    """The load of a network was cancelled (the worker is closing, or another network was asked for)."""


def default_load(source: str, device: str, key: str | None, progress: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None) -> torch.nn.Module:
    """sg3.load_generator, reporting download progress for URLs (at most every 0.2 s); `cancel` stops a download."""
    import sg3
    kwargs: dict[str, Any] = {} if cancel is None else {'cancel': cancel.is_set}
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


def is_out_of_memory(e: BaseException) -> bool:
    return isinstance(e, (MemoryError, torch.OutOfMemoryError)) or 'out of memory' in str(e).lower()


def format_error(e: BaseException) -> str:
    """A one-paragraph message for the image area."""
    if is_out_of_memory(e):
        return f'Out of memory: {e}. Try a smaller network, device cpu, or close other programs.'.replace('\n', ' ')
    if isinstance(e, ValueError):  # Sg3Error, RenderError and friends carry user-facing messages.
        return str(e)
    return f'{type(e).__name__}: {e}'


class Renderer:
    def __init__(
        self,
        load_fn: LoadFn = default_load,             # Loads a generator; tests pass tiny networks.
        max_networks: int = 2,                      # Loaded networks kept in memory.
        max_mappings: int = 64,                     # Mapping outputs kept (per seed, class, psi, cutoff).
    ) -> None:
        self._load_fn = load_fn
        self._load_takes_cancel = _takes_cancel(load_fn)
        self._networks = LRU(max_networks)          # (source, key, device) -> (G, NetworkSummary)
        self._mappings = LRU(max_mappings)          # (net key, seed, class, psi, cutoff) -> ws [1, num_ws, w_dim]
        self._layer_lists = LRU(16)                 # (net key, force_fp32, noise_mode) -> tuple[LayerInfo, ...]
        self._failed: tuple[tuple, str] | None = None  # Last failed load: (net key, message), not retried until the source changes.
        self.analysis = render_analysis.AnalysisRenderer()  # Equivariance, spectrum, command jobs.
        self.directions = DirectionsRenderer()      # Directions in W, imported latents, their commands.

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
        try:
            faults.hit('render', cancel, oom_type=torch.OutOfMemoryError)
            self._render(args, stamp, cancel, progress, fields)
        except render_ops.RenderCancelled:
            return RenderResult(stamp=stamp, error='cancelled', args=args)
        except Exception as e:  # Errors are data.
            fields['error'] = format_error(e)
            fields.pop('image', None)
            if is_out_of_memory(e):
                self._mappings.clear()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
        self.analysis.finish(fields)
        return RenderResult(stamp=stamp, args=args, render_seconds=time.perf_counter() - start, **fields)

    __call__ = render  # A Renderer is a RenderWorker render function.

    def start_command(self, command: Command, args: RenderArgs, cancel: threading.Event) -> render_analysis.CommandJob:
        """The job of a background command for the view `args` (RenderWorker.start): loads the view's network if
        needed; the worker steps the job between renders. Raises (the worker reports 'failed') when the command
        cannot run, e.g. EQ metrics on a network without input transform."""
        if isinstance(command, VideoCommand):     # Its frames carry their own requests.
            job = render_video.start_video(command, lambda view, stop: self.render(view, cancel=stop), cancel)
        elif isinstance(command, DIRECTION_COMMANDS):
            G, _summary, net_key = self._network(args)
            job = self.directions.start_command(command, G, net_key, args, render=lambda view, stop: self.render(view, cancel=stop),
                final_ws=lambda view: self._blend_ws(G, net_key, view))
        else:
            G, _summary, net_key = self._network(args)
            job = self.analysis.start_command(command, G, net_key, args,
                render=lambda view, stop: self.render(view, cancel=stop))
        return _FaultyJob(job) if faults.wants('command') else job

    def _network(self, args: RenderArgs, progress: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None) -> tuple[torch.nn.Module, NetworkSummary, tuple]:
        """The generator of the request, its summary and its cache key (source, key, device)."""
        net_key = (args.network.source, args.network.key, resolve_device(args.performance.device))
        G, summary = self.get_network(*net_key, progress=progress, cancel=cancel)
        return G, summary, net_key

    def get_network(self, source: str, key: str | None, device: str, progress: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None) -> tuple[torch.nn.Module, NetworkSummary]:
        """The cached generator and its summary; loads on first use. Raises LoadCancelled when `cancel` is set
        during the load."""
        net_key = (source, key, device)
        if net_key in self._networks:
            self._networks.move_to_end(net_key)
            return self._networks[net_key]
        if self._failed is not None and self._failed[0] == net_key:
            raise RenderError(self._failed[1])
        if progress is not None:
            progress(f'Loading {source} on {device}...')
        try:
            faults.hit('load', cancel, oom_type=torch.OutOfMemoryError)
            if cancel is not None and cancel.is_set():
                raise LoadCancelled()
            G = self._load_fn(source, device, key, progress, **({'cancel': cancel} if self._load_takes_cancel else {}))
        except Exception as e:
            if isinstance(e, render_ops.RenderCancelled) or (cancel is not None and cancel.is_set()):
                raise LoadCancelled() from None     # Not a failure of the network: the next request loads it again.
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
        report = None
        if progress is not None:
            report = lambda text: progress(RenderResult(stamp=stamp, loading=text, args=args))
        G, summary, net_key = self._network(args, progress=report, cancel=cancel)
        fields['network'] = summary
        fields['image_resolution'] = G.img_resolution
        if cancel is not None and cancel.is_set():
            raise render_ops.RenderCancelled()

        preview = args.performance.wants_bf16() and summary.bf16_supported
        fields['precision'] = 'bfloat16' if preview else 'float32'
        with torch.no_grad():
            ws = self._blend_ws(G, net_key, args)
            fields['directions'] = self.directions.info
            with sg3.ops.use_conv_dtype(torch.bfloat16 if preview else None):
                self._render_image(G, net_key, args, ws, cancel, fields)

    def _render_image(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, ws: torch.Tensor,
            cancel: threading.Event | None, fields: dict) -> None:
        """The picture of one request from its blended ws: the heatmap, the spectrum or the (layer) image."""
        if args.directions.thumbnails and (strips := self.directions.thumbnails(net_key, args)) is not None:
            fields['image'] = strips                # The thumbnail strips of this view (ThumbnailsCommand).
            return
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
        """ws [1, num_ws, w_dim] of one seed: z (and a class for conditional networks) as NVIDIA's viewer
        draws them (sg3.pipeline.seed_latent), truncated."""
        class_idx = args.latent.class_idx if G.c_dim > 0 else None
        psi = args.truncation.psi
        cutoff = args.truncation.cutoff if args.truncation.cutoff is None else min(args.truncation.cutoff, G.num_ws)

        def compute() -> torch.Tensor:
            z, c = pipeline.seed_latent(seed, G.z_dim, G.c_dim, class_idx)
            device = G.mapping.w_avg.device
            return G.mapping(z.to(device), c.to(device), truncation_psi=psi, truncation_cutoff=cutoff)

        return self._mappings.get_or((net_key, seed, class_idx, psi, cutoff), compute)

    def _blend_ws(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs) -> torch.Tensor:
        """Bilinear blend of the four neighbouring seeds' ws, blended with the ws of LatentArgs.blend's positions
        (timelines: linear with the given weights, or spherical about w_avg), then style mixing."""
        latent = args.latent
        ws = self._position_ws(G, net_key, latent, args)
        if latent.blend:
            others = [(self._position_ws(G, net_key, LatentArgs(x=x, y=y), args), weight) for x, y, weight in latent.blend]
            if latent.blend_mode == 'slerp':
                ws = _slerp(ws, others[0][0], others[0][1], G.mapping.w_avg)
            else:
                ws = ws * (1 - sum(weight for _, weight in others)) + sum(other * weight for other, weight in others)
        mix_idx = list(args.mix.indices(G.num_ws))
        if mix_idx:
            ws[:, mix_idx] = self._mapping(G, net_key, args.mix.seed, args)[:, mix_idx]
        return self.directions.edit(G, net_key, args, ws)   # An imported latent, the edit along directions.

    def _position_ws(self, G: torch.nn.Module, net_key: tuple, position: LatentArgs, args: RenderArgs) -> torch.Tensor:
        """ws of one fractional latent position: the bilinear blend of its neighbouring seeds' (a fresh tensor)."""
        pairs = position.seed_weights()
        return sum(self._mapping(G, net_key, seed, args) * weight for seed, weight in pairs) if len(pairs) > 1 \
            else self._mapping(G, net_key, pairs[0][0], args).clone()

    def _synthesize(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, ws: torch.Tensor,
            cancel: threading.Event | None, fields: dict) -> tuple[torch.Tensor, pipeline.SynthesisLayer | None]:
        """Run synthesis with the input transform set, up to the selected layer; fills fields['layers']."""
        kwargs = dict(noise_mode=args.noise.mode, force_fp32=args.performance.force_fp32)
        list_key = (net_key, kwargs['force_fp32'], kwargs['noise_mode'])
        capture = None if args.layer.name == pipeline.OUTPUT else args.layer.name

        def should_stop() -> bool:
            if cancel is not None and cancel.is_set():
                raise render_ops.RenderCancelled()
            return False

        # Set the input transform (the inverse of the user's), restored afterwards.
        transform = getattr(G.synthesis.input, 'transform', None) if hasattr(G.synthesis, 'input') else None
        saved = None
        if transform is not None:
            t = args.transform
            inverse = invert_transform(make_transform((t.x, t.y), t.angle_deg, t.scale))
            saved = transform.clone()
            transform.copy_(torch.from_numpy(inverse).to(transform))
        try:
            devices = [torch.device(ws.device).index or 0] if ws.device.type == 'cuda' else []
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(args.noise.seed)
                try:
                    out, layers = pipeline.run_synthesis(G, ws, capture, should_stop, **kwargs)
                except pipeline.LayerError as e:  # The pass ran to the end: the list is complete.
                    self._layer_lists[list_key] = tuple(_layer_info(G, layer) for layer in e.layers)
                    fields['layers'] = self._layer_lists[list_key]
                    raise
            captured = layers[-1] if capture is not None else None
            if list_key not in self._layer_lists:
                if capture is not None:  # The early exit saw only part of the network: list it once in full.
                    with torch.random.fork_rng(devices=devices):
                        _, layers = pipeline.run_synthesis(G, ws, None, should_stop, **kwargs)
                self._layer_lists[list_key] = tuple(_layer_info(G, layer) for layer in layers)
        finally:
            if saved is not None:
                transform.copy_(saved)
        fields['layers'] = self._layer_lists[list_key]
        return out, captured

    def _finish_image(self, G: torch.nn.Module, args: RenderArgs, out: torch.Tensor,
            layer: pipeline.SynthesisLayer | None, fields: dict) -> None:
        """Statistics, channel selection, untransform, crop and 8-bit conversion of the first image."""
        la, t = args.layer, args.transform
        x = out[:1].to(torch.float32)
        design = None if layer is None else _design(G, layer)
        fields['stats'] = LayerStats(name='output' if layer is None else layer.name, **render_ops.channel_stats(x[0]))
        shown, _idx = render_ops.select_channels(x[0], la.view, la.channel)
        shown = shown[None]
        if t.untransform and G.has_input_transform and not t.is_identity():
            unit = design.sampling_rate if design is not None else shown.shape[3]
            shown = render_ops.untransform(shown, make_transform((t.x, t.y), t.angle_deg, t.scale), unit=unit)
        margin = design.margin if design is not None else 0
        if la.crop_margins and margin > 0 and shown.shape[2] > 2 * margin and shown.shape[3] > 2 * margin:
            shown = shown[:, :, margin:-margin, margin:-margin]
        fields['image'] = render_ops.to_display(shown[0], normalize=la.normalize, gain_db=la.gain_db)

# ----------------------------------------------------------------------------


def _takes_cancel(load_fn: Callable) -> bool:
    """Does `load_fn` take the keyword `cancel`?"""
    try:
        parameters = inspect.signature(load_fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == 'cancel' or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


class _FaultyJob:
    """A command job whose every chunk first passes the 'command' fault point (viz.faults; tests only)."""

    def __init__(self, job: render_analysis.CommandJob) -> None:
        self._job = job

    def step(self, cancel: threading.Event):
        faults.hit('command', cancel, oom_type=torch.OutOfMemoryError)
        return self._job.step(cancel)

    def abort(self):
        return self._job.abort()


def _slerp(a: torch.Tensor, b: torch.Tensor, t: float, center: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of every W vector (last axis) from a (t = 0) to b (t = 1) about `center`: the
    direction moves along the great circle, the distance from the centre linearly. Nearly parallel vectors lerp."""
    da, db = a - center, b - center
    na, nb = da.norm(dim=-1, keepdim=True), db.norm(dim=-1, keepdim=True)
    ua, ub = da / na.clamp_min(1e-12), db / nb.clamp_min(1e-12)
    omega = torch.acos((ua * ub).sum(-1, keepdim=True).clamp(-1.0, 1.0))
    sin = torch.sin(omega)
    parallel = sin < 1e-6
    safe = torch.where(parallel, torch.ones_like(sin), sin)
    wa = torch.where(parallel, torch.full_like(sin, 1 - t), torch.sin((1 - t) * omega) / safe)
    wb = torch.where(parallel, torch.full_like(sin, t), torch.sin(t * omega) / safe)
    return center + ((1 - t) * na + t * nb) * (wa * ua + wb * ub)


def _design(G: torch.nn.Module, layer: pipeline.SynthesisLayer) -> spectra.LayerDesign | None:
    """The layer's design (sg3.spectra.layer_design of its module), or None for a module without one."""
    try:
        return spectra.layer_design(G, layer.path)
    except spectra.SpectrumError:
        return None


def _layer_info(G: torch.nn.Module, layer: pipeline.SynthesisLayer) -> LayerInfo:
    design = _design(G, layer)
    rate, cutoff, stopband, margin = (None, None, None, 0) if design is None else \
        (design.sampling_rate, design.cutoff, design.stopband, design.margin)
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
