"""Speed of the batch EQ metrics (sg3.equivariance.compute_metrics): samples per second, for all three metrics
together and for each metric alone, on the reference ops (pure PyTorch, as NVIDIA's metric code) and on the
fast ops with 1 and with all cores' worth of threads. Prints a table with the PSNRs, so that a change of speed
can be seen not to change the numbers (they are equal for the same seed and sample count up to float32 rounding).

Where the time goes (--profile): the share of the syntheses, of the comparisons (Lanczos shifts, band-limited
rotation, masks) and the rest, from cProfile on the fast ops with one thread.

    python benchmarks/bench_equivariance.py                         # the 64 px reference StyleGAN3-T (or one like it)
    python benchmarks/bench_equivariance.py --samples 32 --threads 1,2 --profile
    python benchmarks/bench_equivariance.py --network builtin:sg3-t --device cuda
"""

import argparse
import cProfile
import os
import pathlib
import platform
import pstats
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

REFERENCE_64 = REPO.parent / 'shared' / 'reference' / 'sg3t-64'
LIKE_REFERENCE_64 = dict(z_dim=512, c_dim=0, w_dim=512, img_resolution=64, img_channels=3, channel_base=4096,
    channel_max=128, mapping_kwargs=dict(num_layers=2), magnitude_ema_beta=0.9988915792636801)

#----------------------------------------------------------------------------

def build(name: str, device: str):
    """'ref64': the 64 px reference StyleGAN3-T with NVIDIA's weights where ../shared/reference has them, else
    the same configuration with random weights; anything else goes to sg3.load_generator."""
    import numpy as np
    import torch
    import sg3
    from sg3.networks_stylegan3 import Generator
    if name != 'ref64':
        return sg3.load_generator(name, device=device), name
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        G = Generator(**LIKE_REFERENCE_64).eval().requires_grad_(False)
    what = '64 px StyleGAN3-T like the reference, random weights'
    if (REFERENCE_64 / 'weights.npz').is_file():
        weights = np.load(REFERENCE_64 / 'weights.npz')
        G.load_state_dict({key: torch.from_numpy(weights[key]) for key in weights.files})
        what = f'64 px StyleGAN3-T, NVIDIA reference weights ({REFERENCE_64})'
    return G.to(device), what

def measure(G, samples: int, kinds: tuple, impl: str, threads: int, seed: int, batch: int) -> tuple[float, dict]:
    """(samples per second, PSNR per kind) of one compute_metrics run after a one-sample warm-up."""
    import sg3.ops
    from sg3 import equivariance
    with sg3.ops.use_impl(impl):
        equivariance.compute_metrics(G, 1, seed=seed + 1, kinds=kinds, num_threads=threads)
        start = time.perf_counter()
        metrics = equivariance.compute_metrics(G, samples, seed=seed, kinds=kinds, batch_size=batch, num_threads=threads)
        seconds = time.perf_counter() - start
    return samples / seconds, dict(metrics.psnr)

def profile(G, samples: int, seed: int) -> None:
    """Shares of the time on the fast ops, one thread, all three metrics."""
    from sg3 import equivariance
    equivariance.compute_metrics(G, 1, num_threads=1)
    profiler = cProfile.Profile()
    profiler.enable()
    equivariance.compute_metrics(G, samples, seed=seed, num_threads=1)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(tt for _cc, _nc, tt, _ct, _callers in stats.values())
    def cumulative(function: str, module: str = '') -> float:
        return sum(ct for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.items()
            if name == function and file.replace('\\', '/').endswith(module))
    parts = [('syntheses (4 per sample)', cumulative('_synthesize')), ('  modulated convolutions', cumulative('modulated_conv2d_sg3')),
        ('  filtered leaky ReLUs', cumulative('filtered_lrelu', 'ops/filtered_lrelu.py')), ('comparisons', cumulative('_apply_kind')),
        ('  band-limited rotation', cumulative('apply_affine_transformation')), ('  rotation filter design', cumulative('affine_bandlimit_filter')),
        ('  pseudo-rotation', cumulative('apply_fractional_pseudo_rotation')), ('  Lanczos shifts', cumulative('apply_fractional_translation'))]
    print(f'\nProfile: {samples} samples, all three metrics, fast ops, 1 thread: {total:.2f} s')
    for label, seconds in parts:
        print(f'  {label:<28} {seconds:6.2f} s  {100 * seconds / total:5.1f} %')

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--network', default='ref64', help="'ref64' (default: the 64 px reference StyleGAN3-T) or a network for sg3.load_generator")
    parser.add_argument('--device', default='cpu', help='cpu (default), cuda or mps')
    parser.add_argument('--samples', type=int, default=24, help='samples per measurement (default: 24)')
    parser.add_argument('--ref-samples', type=int, default=6, help='samples on the reference ops (slow; default: 6)')
    parser.add_argument('--threads', default=None, help='comma-separated thread counts for the fast ops (default: 1 and every core)')
    parser.add_argument('--batch', type=int, default=1, help='latents per batch (default: 1, the application\'s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--profile', action='store_true', help='also print where the time goes')
    args = parser.parse_args()

    import torch
    import sg3.ops
    from sg3 import equivariance
    cores = sg3.ops.available_cores()
    threads = [int(t) for t in args.threads.split(',')] if args.threads else sorted({1, cores})
    sg3.ops.configure_threads(max(threads))
    G, what = build(args.network, args.device)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'Network: {what}; device {args.device}; {cores} cores ({platform.processor() or platform.machine()}); '
        f'torch {torch.__version__}; load average {load:.2f} at start')

    configs = [('ref ops (pure PyTorch)', 'ref', 1, args.ref_samples)] if args.device == 'cpu' else []
    configs += [(f'fast ops, {t} thread{"s" if t > 1 else ""}', 'auto', t, args.samples) for t in threads]
    rows = []
    for label, impl, t, samples in configs:
        together, psnrs = measure(G, samples, equivariance.KINDS, impl, t, args.seed, args.batch)
        alone = {kind: measure(G, samples, (kind,), impl, t, args.seed, args.batch)[0] for kind in equivariance.KINDS}
        rows.append((label, together, alone, psnrs))

    print(f'\nSamples per second (batch {args.batch}; {args.samples} samples, {args.ref_samples} on the reference ops)')
    print(f'{"configuration":<26} {"all three":>10} {"EQ-T":>8} {"EQ-T_frac":>10} {"EQ-R":>8}   {"s/sample/metric":>15}   PSNR EQ-T / EQ-T_frac / EQ-R (dB)')
    for label, together, alone, psnrs in rows:
        per_metric = 1 / together / len(equivariance.KINDS)
        print(f'{label:<26} {together:>10.2f} {alone["eqt"]:>8.2f} {alone["eqt_frac"]:>10.2f} {alone["eqr"]:>8.2f}   {per_metric:>15.3f}   '
            + ' / '.join(f'{psnrs[k]:.2f}' for k in equivariance.KINDS))
    base = rows[0][1]
    print('Ratios to the first row (all three): ' + ', '.join(f'{label}: {together / base:.2f}x' for label, together, _a, _p in rows))
    print(f'load average {os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"):.2f} at the end')
    if args.profile:
        profile(G, args.samples // 2 or 1, args.seed)

if __name__ == '__main__':
    main()
