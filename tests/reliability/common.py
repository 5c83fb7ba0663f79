"""What the reliability tests share: tiny networks, a view core on the real render worker, waiting for it, and the
files a folder holds (to show that no partial or temporary file was left)."""

from __future__ import annotations

import pathlib
import subprocess
import time

import torch

from sg3 import networks_stylegan2, networks_stylegan3
from sg3.errors import CheckpointError
from viz.core.view_core import ViewCore
from viz.render.renderer import Renderer
from viz.render.worker import RenderWorker

REPO = pathlib.Path(__file__).resolve().parents[2]
SG3 = 'tiny:sg3'
SG2 = 'tiny:sg2'


def _fail(message: str) -> None:
    """An assertion that also holds under python -O (this helper module is not rewritten by pytest)."""
    raise AssertionError(message)


def _perturbed(G: torch.nn.Module, seed: int) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.randn(G.w_dim, generator=gen))
        for name, p in G.named_parameters():
            if name.endswith('bias'):
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return G.eval().requires_grad_(False)


def tiny_networks() -> dict[str, torch.nn.Module]:
    """A 16-pixel StyleGAN3-T and a 16-pixel StyleGAN2, by source name."""
    torch.manual_seed(1)
    sg3 = networks_stylegan3.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=3, channel_base=512,
        channel_max=16, num_layers=4)
    torch.manual_seed(3)
    sg2 = networks_stylegan2.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=3, channel_base=256, channel_max=16)
    return {SG3: _perturbed(sg3, 2), SG2: _perturbed(sg2, 4)}


class Loader:
    """load_fn for the renderer: the tiny networks by name, counting loads."""

    def __init__(self) -> None:
        self.nets = tiny_networks()
        self.loads: list[str] = []

    def __call__(self, source, device, key, progress=None, cancel=None):
        self.loads.append(source)
        if source not in self.nets:
            raise CheckpointError(f'{source}: no such file; expected a network .pkl or .safetensors file, or an http(s) URL')
        return self.nets[source].to(device)


def make_core(tmp_path: pathlib.Path, loader: Loader, source: str = SG3, **kwargs) -> ViewCore:
    """A ViewCore on the real RenderWorker and Renderer (tiny networks on the CPU), config and captures under tmp_path."""
    kwargs.setdefault('capture_dir', str(tmp_path / 'captures'))
    return ViewCore(RenderWorker(Renderer(load_fn=loader)), config_dir=tmp_path / 'config', sources=(source,), device='cpu', **kwargs)


def settle(core: ViewCore, timeout: float = 30.0):
    """Update the core until the newest request has its final result; that result."""
    deadline = time.monotonic() + timeout
    core.update(0.0)
    while core.render_pending():
        if time.monotonic() > deadline:
            _fail(f'no result within {timeout} s (loading: {core.loading!r})')
        time.sleep(0.005)
        core.update(0.0)
    return core.result


def wait_until(predicate, timeout: float = 30.0, what: str = 'the condition', step=None):
    """Poll `predicate` (calling `step()` first each time) until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            _fail(f'timed out after {timeout} s waiting for {what}')
        time.sleep(0.005)


def command_finished(core: ViewCore, kind: str, timeout: float = 60.0):
    """Update the core until the newest command of `kind` has finished; its final status."""
    return wait_until(lambda: (s := core.command_status(kind)) is not None and s.finished and s, timeout, f'the {kind} command',
        step=lambda: core.update(0.0))


def listing(folder: pathlib.Path) -> list[str]:
    """Every name under `folder` (hidden temporary files included), sorted; [] if it does not exist."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob('*')) if folder.exists() else []


def try_mount_tmpfs(folder: pathlib.Path, size: str, read_only: bool = False) -> bool:
    """Mount a tmpfs of `size` (e.g. '64k') on `folder`: a real disk that fills up. Needs root and a kernel that
    lets us; False if it cannot be done here."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f'size={size}' + (',ro' if read_only else '')
    try:
        return subprocess.run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', str(folder)], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def unmount(folder: pathlib.Path) -> None:
    subprocess.run(['umount', '-l', str(folder)], capture_output=True, timeout=10)
