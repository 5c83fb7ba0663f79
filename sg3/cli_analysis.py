"""`python -m sg3 equivariance` and `python -m sg3 spectra`: the paper's EQ metrics and layer spectra
from the command line."""

from __future__ import annotations

import argparse
import json
import math
import os
import re

from sg3.errors import Sg3Error
from sg3.progress import ProgressBar

# ----------------------------------------------------------------------------
# Argument parsing.


def _parse_kinds(text: str) -> tuple[str, ...]:
    from sg3.equivariance import KINDS
    kinds = tuple(part.strip() for part in str(text).split(',') if part.strip())
    if not kinds or any(kind not in KINDS for kind in kinds) or len(set(kinds)) != len(kinds):
        raise Sg3Error(f'invalid --kinds {text!r}: expected a comma-separated list of distinct values from {",".join(KINDS)}')
    return kinds


def _parse_db_range(text: str) -> tuple[float, float]:
    parts = str(text).split(',')
    try:
        low, high = (float(part) for part in parts)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError
    except ValueError:
        raise Sg3Error(f'invalid --db-range {text!r}: expected LOW,HIGH in dB with LOW < HIGH, e.g. -40,20') from None
    return low, high


def _check_positive(value: int, option: str) -> None:
    if value < 1:
        raise Sg3Error(f'invalid {option} {value}: expected an integer >= 1')


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser('equivariance', help='EQ-T, EQ-T_frac and EQ-R (PSNR in dB) of a StyleGAN3 network')
    p.add_argument('--network', default='builtin:sg3-t', help='built-in name, .pkl / .safetensors path, or URL (default: builtin:sg3-t)')
    p.add_argument('--num', type=int, default=1000, help='number of latents (default: 1000; the paper uses 50000)')
    p.add_argument('--seed', type=int, default=0, help='seed of latents and transforms (default: 0)')
    p.add_argument('--kinds', default='eqt,eqt_frac,eqr', help='metrics to compute (default: eqt,eqt_frac,eqr)')
    p.add_argument('--batch', type=int, default=1, help='latents per forward pass; a batch shares its transforms (default: 1)')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or mps (default: auto)')
    p.add_argument('--json', default=None, metavar='FILE', help='also write the results as JSON')
    p.set_defaults(func=run_equivariance)

    p = subparsers.add_parser('spectra', help='average power spectrum of a layer (or the output) over seeds, as PNG and .npz')
    p.add_argument('--network', default='builtin:sg3-t', help='built-in name, .pkl / .safetensors path, or URL (default: builtin:sg3-t)')
    p.add_argument('--layer', default='output', help='layer name (e.g. L3_36_512, b16.conv0) or "output" (default: output)')
    p.add_argument('--num', type=int, default=100, help='number of seeds K (default: 100)')
    p.add_argument('--seed', type=int, default=0, help='first seed; seeds SEED .. SEED+K-1 (default: 0)')
    p.add_argument('--beta', type=float, default=8.0, help='Kaiser window shape (default: 8, as avg_spectra.py)')
    p.add_argument('--interp', type=int, default=4, help='zero-padding factor of the FFT (default: 4, as avg_spectra.py)')
    p.add_argument('--channel', type=int, default=None, help='one channel only (default: average over all)')
    p.add_argument('--db-range', default='-40,20', help='colour range of the heatmap in dB (default: -40,20)')
    p.add_argument('--trunc', type=float, default=1.0, help='truncation psi (default: 1)')
    p.add_argument('--noise-mode', default='const', choices=['const', 'random', 'none'], help='StyleGAN2 noise (default: const)')
    p.add_argument('--dpi', type=float, default=100, help='resolution of the PNG (default: 100)')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or mps (default: auto)')
    p.add_argument('--outdir', required=True, help='folder for spectrum-LAYER.png and spectrum-LAYER.npz')
    p.set_defaults(func=run_spectra)

# ----------------------------------------------------------------------------
# Commands.


def run_equivariance(args: argparse.Namespace) -> int:
    import sg3
    from sg3 import equivariance

    kinds = _parse_kinds(args.kinds)
    _check_positive(args.num, '--num')
    _check_positive(args.batch, '--batch')
    G = sg3.load_generator(args.network, device=args.device)
    equivariance.input_transform(G)                                             # Fail before any work for StyleGAN2.

    with ProgressBar(args.num, label='equivariance') as bar:                   # Ends its line if the work fails.
        metrics = equivariance.compute_metrics(G, num_samples=args.num, seed=args.seed, kinds=kinds, batch_size=args.batch,
            progress=lambda done, _total: bar.update(done))

    # Print the table.
    res = int(G.img_resolution)
    print(f'network  {args.network} ({getattr(G, "architecture", type(G).__name__)}, {res}x{res})')
    print(f'samples  {metrics.num_samples} (seed {metrics.seed})')
    print(f'{"metric":<10} {"PSNR (dB)":>10} {"MSE":>12}')
    for kind in kinds:
        print(f'{equivariance.LABELS[kind]:<10} {metrics.psnr[kind]:>10.2f} {metrics.mse[kind]:>12.4e}')
    if args.json:
        if os.path.dirname(args.json):
            os.makedirs(os.path.dirname(args.json), exist_ok=True)
        record = dict(network=args.network, num_samples=metrics.num_samples, seed=metrics.seed,
            psnr={equivariance.LABELS[k]: metrics.psnr[k] for k in kinds}, mse={equivariance.LABELS[k]: metrics.mse[k] for k in kinds})
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
    return 0


def run_spectra(args: argparse.Namespace) -> int:
    import sg3
    from sg3 import figures, spectra

    _check_positive(args.num, '--num')
    _check_positive(args.interp, '--interp')
    if args.seed < 0 or args.seed + args.num > 2 ** 32:
        raise Sg3Error(f'invalid --seed {args.seed} with --num {args.num}: seeds must lie in 0 .. 2**32 - 1')
    if not (math.isfinite(args.beta) and args.beta >= 0):
        raise Sg3Error(f'invalid --beta {args.beta}: expected a number >= 0')
    db_range = _parse_db_range(args.db_range)
    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        raise Sg3Error(f'--outdir {args.outdir!r} exists and is not a folder')
    G = sg3.load_generator(args.network, device=args.device)
    spectra.layer_design(G, args.layer)                                         # Fail before any work for unknown layers.

    with ProgressBar(args.num, label='spectra') as bar:
        spectrum, design = spectra.average_layer_spectrum(G, args.layer, range(args.seed, args.seed + args.num), beta=args.beta,
            interp=args.interp, channel=args.channel, truncation_psi=args.trunc, noise_mode=args.noise_mode,
            progress=lambda done, _total: bar.update(done))

    # Write the figure and the arrays.
    os.makedirs(args.outdir, exist_ok=True)
    stem = os.path.join(args.outdir, 'spectrum-' + re.sub(r'[^A-Za-z0-9_.-]', '-', args.layer))
    title = f'{args.network}: {design.name}' + ('' if args.channel is None else f', channel {args.channel}')
    png = figures.spectrum_figure(spectrum, design, stem + '.png', db_range=db_range, title=title, dpi=args.dpi)
    npz = figures.export_npz(spectrum, design, stem + '.npz')
    cutoff = 'none' if design.cutoff is None else f'{design.cutoff:g}'
    stopband = 'none' if design.stopband is None else f'{design.stopband:g}'
    print(f'layer {design.name}: sampling rate {design.sampling_rate:g}, cutoff {cutoff}, stopband {stopband}, '
        f'Nyquist {design.nyquist:g} (cycles per image); {spectrum.count} seeds')
    print(png)
    print(npz)
    return 0
