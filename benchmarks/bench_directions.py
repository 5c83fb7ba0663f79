"""Directions: SeFa at load (official-size networks, random weights built as bench_generator.py builds them), PCA on W
for 10k samples, and the thumbnail strips of the directions widget (the render-side command, builtin:sg3-t).

    .venv/bin/python benchmarks/bench_directions.py [--networks sg3-t-1024,sg2-1024] [--samples 10000] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--networks', default='sg3-t-1024,sg3-r-1024,sg2-1024')
    parser.add_argument('--samples', type=int, default=10_000)
    parser.add_argument('--threads', type=int, default=None, help='torch threads (default: torch\'s)')
    opts = parser.parse_args()
    import torch
    if opts.threads:
        torch.set_num_threads(opts.threads)
    from benchmarks.bench_generator import build_network
    from sg3 import directions as D
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, load {os.getloadavg()[0]:.1f}')
    for name in opts.networks.split(','):
        G = build_network(name)
        t_sefa, sefa = timed(lambda: D.sefa(G))
        t_eig, _ = timed(lambda: D.sefa(G, samples=D.sample_w(G, 2, 0)))          # Without measuring the spreads.
        with tempfile.TemporaryDirectory() as cache:
            t_pca, _ = timed(lambda: D.pca(G, opts.samples, cache_dir=cache))
            t_hit, _ = timed(lambda: D.pca(G, opts.samples, cache_dir=cache))
        line = f'{name}: SeFa at load {t_sefa:.2f} s ({len(sefa)} directions; eigenvectors alone {t_eig:.2f} s)'
        print(f'{line}; PCA on {opts.samples} W samples {t_pca:.2f} s, cached {t_hit * 1e3:.0f} ms')
    thumbnails()


def thumbnails() -> None:
    from viz.protocol import DirectionsArgs, NetworkArgs, PerformanceArgs, RenderArgs, ThumbnailsCommand
    from viz.render.renderer import Renderer
    renderer = Renderer()
    args = RenderArgs(network=NetworkArgs('builtin:sg3-t'), performance=PerformanceArgs(device='cpu'),
        directions=DirectionsArgs(basis='sefa'))
    renderer.render(args)
    command = ThumbnailsCommand()
    cancel = threading.Event()
    start = time.perf_counter()
    job = renderer.start_command(command, args, cancel)
    status = job.step(cancel)
    while not status.finished:
        status = job.step(cancel)
    seconds = time.perf_counter() - start
    print(f'builtin:sg3-t thumbnails: {command.count} directions x {command.steps} images in {seconds:.2f} s '
        f'({seconds / (command.count * command.steps) * 1e3:.0f} ms per image), {status.state}')


if __name__ == '__main__':
    main()
