"""The directions half of rendering (issue 14): direction sets and imported latents for `DirectionsArgs`, the edit
(sg3.directions.apply_directions, the same function as the command line), and the jobs of the direction commands
(PCA on W, thumbnail strips, saving the set, exporting W+). Render thread only; no imgui, no OpenGL.

SeFa and the pose subspace are computed when a request first asks for them (about a second for an official
network); PCA only by its command (then also cached on disk by sg3); files are read again when they change.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any, Callable

import numpy as np
import torch

from sg3 import directions as dirs, latent_files
from viz import files
from viz.render.analysis import CommandJob, SteppedCommand, _format_error
from viz.render.cache import LRU
from viz.protocol import (DirectionsArgs, DirectionsInfo, ExportLatentCommand, PcaCommand, RenderArgs, RenderResult,
    SaveDirectionsCommand, ThumbnailsCommand)

RenderViewFn = Callable[[RenderArgs, threading.Event], RenderResult]
WsFn = Callable[[RenderArgs], torch.Tensor]     # The final ws of a view (seeds or imported latent, mixing, edits).


def _file_key(path: str) -> tuple:
    """A file's identity for the caches: its path, size and modification time (a changed file is read again)."""
    try:
        st = os.stat(os.path.expanduser(path))
    except OSError:
        return (path, None)
    return (path, st.st_size, st.st_mtime_ns)


def _range(G: torch.nn.Module, d: DirectionsArgs) -> tuple[int, int]:
    last = G.num_ws if d.last is None else min(d.last, G.num_ws)
    if d.first >= last:
        raise dirs.DirectionsError(f'W index range [{d.first}, {d.last}): this network has num_ws = {G.num_ws}; '
            f'expected first < {G.num_ws}')
    return d.first, last


class DirectionsRenderer:
    """Direction sets, imported latents and thumbnails of one Renderer."""

    def __init__(self) -> None:
        self._sets = LRU(8)                     # (net key, basis, source file, range, keep pose, pca) -> DirectionSet
        self._latents = LRU(4)                  # (file key, num_ws, w_dim) -> [N, num_ws, w_dim]
        self._pca = LRU(4)                      # (net key, samples, seed) -> DirectionSet
        self._thumbnails = LRU(4)               # View key -> [H, W, 3] uint8
        self.info: DirectionsInfo | None = None  # Of the last render.

    # ------------------------------------------------------------------------
    # Per render.

    def direction_set(self, G: torch.nn.Module, net_key: tuple, d: DirectionsArgs) -> tuple[dirs.DirectionSet | None, str | None]:
        """(the request's direction set, a note); None with a note when PCA has not been computed yet."""
        if d.basis == 'none':
            return None, None
        first, last = _range(G, d)
        source = _file_key(d.source) if d.basis == 'file' else None
        key = (net_key, d.basis, source, (first, last) if d.basis == 'sefa' else None, d.keep_pose,
            (d.pca_samples, d.pca_seed) if d.basis == 'pca' else None)
        if key in self._sets:
            return self._sets[key], None
        if d.basis == 'pca':
            found = self._pca.get((net_key, d.pca_samples, d.pca_seed)) or dirs.cached_pca(G, d.pca_samples, d.pca_seed)
            if found is None:
                return None, f'PCA on W ({d.pca_samples} samples, seed {d.pca_seed}) is not computed yet: press Compute PCA.'
            self._pca[(net_key, d.pca_samples, d.pca_seed)] = found
            result = found
        elif d.basis == 'file':
            if not d.source.strip():
                return None, 'No direction file chosen: type its path and press Load.'
            result = latent_files.direction_set(os.path.expanduser(d.source), G)
        elif d.basis == 'sefa':
            result = dirs.sefa(G, first, last)
        else:
            result = dirs.pose(G)
        if d.keep_pose and d.basis != 'pose':
            result = dirs.project_out(result, dirs.pose_subspace(G), G)
        self._sets[key] = result
        return result, None

    def latents(self, G: torch.nn.Module, path: str) -> np.ndarray:
        key = (_file_key(path), G.num_ws, G.w_dim)
        return self._latents.get_or(key, lambda: latent_files.load_latents(os.path.expanduser(path), G.num_ws, G.w_dim))

    def edit(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, ws: torch.Tensor) -> torch.Tensor:
        """The request's ws: the imported latent (if any) in place of `ws`, then the edit along the directions."""
        d = args.directions
        count = 0
        if d.latents:
            imported = self.latents(G, d.latents)
            count = len(imported)
            ws = torch.from_numpy(imported[min(d.latent_index, count - 1)][None]).to(ws)
        directions, note = self.direction_set(G, net_key, d)
        if d.keep_pose and d.basis == 'pose':
            note = 'Keep pose does not apply to the pose subspace itself.'
        if d.thumbnails and self.thumbnails(net_key, args) is None:
            note = 'No thumbnails of this view yet: press Thumbnails (the image is shown meanwhile).'
        self.info = DirectionsInfo(names=directions.names if directions is not None else (),
            sigmas=tuple(float(s) for s in directions.sigmas) if directions is not None else (), latent_count=count, note=note)
        if directions is None or not any(d.strengths):
            return ws
        first, last = _range(G, d)
        return dirs.apply_directions(ws, directions, d.strengths[:len(directions)], first, last)

    # ------------------------------------------------------------------------
    # Thumbnails.

    @staticmethod
    def _thumbnail_key(net_key: tuple, args: RenderArgs) -> tuple:
        """Thumbnails are of the unedited view: the sliders do not make them stale."""
        d = dataclasses.replace(args.directions, strengths=(), thumbnails=False)
        return (net_key, dataclasses.replace(args, directions=d, performance=dataclasses.replace(args.performance, interacting=False)))

    def thumbnails(self, net_key: tuple, args: RenderArgs) -> np.ndarray | None:
        return self._thumbnails.get(self._thumbnail_key(net_key, args))

    # ------------------------------------------------------------------------
    # Commands.

    def start_command(self, command: Any, G: torch.nn.Module, net_key: tuple, args: RenderArgs, render: RenderViewFn,
            final_ws: WsFn) -> CommandJob:
        if isinstance(command, PcaCommand):
            def work(progress, cancel):
                try:
                    return dirs.pca(G, command.samples, command.seed, progress=progress, cancel=cancel)
                except dirs.DirectionsCancelled:
                    return None

            def outcome(result, state):
                if result is not None:
                    self._pca[(net_key, command.samples, command.seed)] = result
                return {}
            return SteppedCommand(command, command.samples, work, outcome)
        if isinstance(command, ThumbnailsCommand):
            directions, note = self.direction_set(G, net_key, args.directions)
            if directions is None:
                raise dirs.DirectionsError(note or 'Choose a basis of directions first.')
            return _ThumbnailsJob(command, args, min(command.count, len(directions)), render,
                lambda grid: self._thumbnails.__setitem__(self._thumbnail_key(net_key, args), grid))
        if isinstance(command, SaveDirectionsCommand):
            directions, note = self.direction_set(G, net_key, args.directions)
            if directions is None:
                raise dirs.DirectionsError(note or 'Choose a basis of directions first.')
            names = tuple(n or own for n, own in zip(command.names, directions.names))
            return _WriteJob(command, 'directions', lambda path: latent_files.save_directions(path, directions, names))
        if isinstance(command, ExportLatentCommand):
            return _WriteJob(command, 'w', lambda path: latent_files.save_latents(path, final_ws(args).cpu().numpy()))
        raise TypeError(f'command = {command!r}: expected a direction command')


class _WriteJob(CommandJob):
    """One chunk: write a numbered .npz into the command's folder (nothing is left when it fails)."""

    def __init__(self, command: Any, stem: str, write: Callable[[str], Any]) -> None:
        super().__init__(command, 1)
        self._stem = stem
        self._write = write

    def step(self, cancel: threading.Event):
        path = files.numbered_path(self.command.folder, self._stem, 'npz')
        try:
            self._write(str(path))
        except Exception as e:  # Reported in the status.
            path.unlink(missing_ok=True)
            return self.status('failed', error=f'Could not write into {self.command.folder}: {_format_error(e)}')
        self.done = 1
        return self.status('done', path=str(path))

    def abort(self):
        return self.status('cancelled')


class _ThumbnailsJob(CommandJob):
    """One chunk per direction: its strip of `steps` images from -span to +span sigma (the other strengths at 0)."""

    def __init__(self, command: ThumbnailsCommand, args: RenderArgs, count: int, render: RenderViewFn,
            keep: Callable[[np.ndarray], None]) -> None:
        super().__init__(command, count)
        self._args = args
        self._render = render
        self._keep = keep
        self._rows: list[np.ndarray] = []

    def step(self, cancel: threading.Event):
        c, k = self.command, self.done
        row = []
        for s in np.linspace(-c.span, c.span, c.steps):
            strengths = tuple([0.0] * k + [float(s)])
            view = dataclasses.replace(self._args, directions=dataclasses.replace(self._args.directions, strengths=strengths,
                thumbnails=False), performance=dataclasses.replace(self._args.performance, interacting=False))
            result = self._render(view, cancel)
            if cancel.is_set():
                return self.abort()
            if result.image is None:
                return self.status('failed', error=f'Thumbnail of direction {k} failed: {result.error}')
            row.append(_shrink(result.image, c.size))
        self._rows.append(np.concatenate(row, axis=1))
        self.done += 1
        if self.done < self.total:
            return self.status('running')
        self._keep(np.ascontiguousarray(np.concatenate(self._rows, axis=0)))
        return self.status('done')

    def abort(self):
        return self.status('cancelled')


def _shrink(image: np.ndarray, size: int) -> np.ndarray:
    """[H, W, 3] uint8 -> [size, size, 3] (area average)."""
    from PIL import Image
    return np.asarray(Image.fromarray(image).resize((size, size), Image.BOX))
