"""The view core's direction actions (a mixin of ViewCore): the PCA, thumbnail, save and export commands, files of
directions or latents dropped on the window, and the script line that reproduces an exported W+ with `sg3`."""

from __future__ import annotations

import json
import pathlib
import shlex
import stat
import sys
import tokenize
import zipfile
from typing import Any

import numpy as np

from viz.core.controller import ActionError
from viz.core.controllers.capture import folder_problem
from viz.protocol import CommandStatus, ExportLatentCommand, PcaCommand, RenderArgs, SaveDirectionsCommand, ThumbnailsCommand

ARRAY_EXTENSIONS = ('.npy', '.npz')
LATENT_KEYS = ('w', 'ws')                       # An .npz with one of these holds latents (sg3.latent_files).


def looks_like_latents(path: str, num_ws: int | None) -> bool:
    """Does a dropped .npy / .npz hold latents rather than directions? An .npz with `w` / `ws`, a 3-D array, or a 2-D
    one with num_ws rows is taken as latents; anything else (and anything unreadable) as directions, whose loader
    then names the problem."""
    path = pathlib.Path(path).expanduser()
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # A FIFO would block the GUI thread; a folder is no array.
            return False
        with np.errstate(all='ignore'):         # A hostile header's shape overflows numpy's size product: refused below.
            data = np.load(path, allow_pickle=False, mmap_mode='r')     # The header (and a zip's directory) only.
    except (OSError, ValueError, EOFError, TypeError, SyntaxError, tokenize.TokenError, zipfile.BadZipFile):
        return False                            # numpy parses an .npy header as Python literals: a damaged one raises these.
    if hasattr(data, 'files'):                  # An .npz archive.
        with data:
            return any(key in data.files for key in LATENT_KEYS)
    return data.ndim == 3 or (data.ndim == 2 and num_ws is not None and num_ws > 1 and data.shape[0] == num_ws)


def script_line(args: RenderArgs, path: str) -> str:
    """A command line that renders the exported W+ at `path` as the view shows it (sg3's generate --w)."""
    t = args.transform
    parts = [pathlib.Path(sys.executable).name, '-m', 'sg3', 'generate', '--network', args.network.source, '--w', path,
        '--noise-mode', args.noise.mode, '--outdir', 'out']
    if (t.x, t.y) != (0, 0):
        parts += ['--translate', f'{t.x!r},{t.y!r}']
    if t.angle_deg % 360:
        parts += ['--rotate', repr(t.angle_deg)]
    if t.scale != 1:
        parts += ['--scale', repr(t.scale)]
    return ' '.join(shlex.quote(p) for p in parts)


class DirectionsActions:
    DIRECTIONS_ACTIONS = ('compute_pca', 'compute_thumbnails', 'save_directions', 'export_w')
    script: str | None = None                   # The script line of the newest W+ export.
    clipboard_request: str | None = None        # Text a front end copies to the clipboard (and clears).

    def compute_pca(self: Any) -> int | None:
        st = self.controllers['directions'].state
        self.controllers['directions'].set_basis('pca')
        return self.start_command(PcaCommand(samples=st.pca_samples, seed=st.pca_seed))

    def compute_thumbnails(self: Any) -> int | None:
        """Render the strips of the current directions in the background; they show once done."""
        self.controllers['directions'].update(thumbnails=True)
        return self.start_command(ThumbnailsCommand())

    def _folder(self: Any) -> str:
        folder = self.capture.state.folder
        problem = folder_problem(folder)
        if problem:
            raise ActionError(problem)
        return folder

    def save_directions(self: Any) -> int | None:
        """The current direction set with its names as directions-NNNNN.npz in the capture folder."""
        return self.start_command(SaveDirectionsCommand(folder=self._folder(), names=self.controllers['directions'].state.names))

    def export_w(self: Any) -> int | None:
        """The current W+ (with edits) as w-NNNNN.npz (NVIDIA's projector format) in the capture folder."""
        return self.start_command(ExportLatentCommand(folder=self._folder()))

    def _on_directions_status(self: Any, status: CommandStatus) -> None:
        if status.state != 'done':
            return
        if status.kind in ('pca', 'thumbnails'):
            self.refresh()
        elif status.kind == 'export_w' and status.path is not None and self.last_args is not None:
            self.script = script_line(self.last_args, status.path)
            self.clipboard_request = self.script
            print(self.script, flush=True)
            self.show_message(f'W+ saved to {status.path}; script line copied: {self.script}', about='directions')
        elif status.kind == 'save_directions' and status.path is not None:
            self.show_message(f'Direction set saved to {status.path}', about='directions')

    def drop_array(self: Any, path: str) -> None:
        """A dropped .npy / .npz: imported as latents or loaded as directions (looks_like_latents)."""
        net = self.facts.network
        if looks_like_latents(path, net.num_ws if net is not None else None):
            self.act('directions', 'import_latents', path)
        else:
            self.act('directions', 'load_directions', path)
        self._emit(f'DROPPED kind=array path={json.dumps(path)}')
