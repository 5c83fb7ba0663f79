"""`python -m sg3 directions`: SeFa, PCA-on-W or pose directions of a network, as an .npz direction set."""

from __future__ import annotations

import argparse

from sg3.errors import Sg3Error
from sg3.progress import ProgressBar


def parse_range(text: str | None) -> tuple[int, int | None]:
    """'2-8' -> (2, 9): W indices 2 .. 8 inclusive; None -> all."""
    if text is None:
        return 0, None
    try:
        first, last = (int(part) for part in str(text).split('-'))
        if first < 0 or last < first:
            raise ValueError
    except ValueError:
        raise Sg3Error(f'invalid --layers {text!r}: expected FIRST-LAST W indices with 0 <= FIRST <= LAST, e.g. 0-5') from None
    return first, last + 1


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser('directions', help='SeFa, PCA-on-W or pose directions in W, written as .npz')
    p.add_argument('--network', default='builtin:sg3-t', help='built-in name, .pkl / .safetensors path, or URL (default: builtin:sg3-t)')
    p.add_argument('--method', required=True, choices=['sefa', 'pca', 'pose'], help='sefa (closed form), pca (on W samples) or pose '
        '(the StyleGAN3 input affine\'s row space)')
    p.add_argument('--out', required=True, help='output .npz (directions, sigmas, names, values, kind)')
    p.add_argument('--layers', default=None, help='SeFa: W indices FIRST-LAST whose style affines are used (default: all)')
    p.add_argument('--num', type=int, default=None, help='directions kept (default: all)')
    p.add_argument('--samples', type=int, default=10_000, help='PCA: W samples (default: 10000)')
    p.add_argument('--seed', type=int, default=0, help='PCA: seed of the samples (default: 0)')
    p.add_argument('--keep-pose', action='store_true', help='project the pose subspace out of the directions (StyleGAN3)')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or mps (default: auto)')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sg3
    from sg3 import directions, latent_files
    if not args.out.lower().endswith('.npz'):
        raise Sg3Error(f'--out {args.out!r}: expected a name ending in .npz')
    if args.num is not None and args.num < 1:
        raise Sg3Error(f'invalid --num {args.num}: expected an integer >= 1')
    first, last = parse_range(args.layers)
    G = sg3.load_generator(args.network, device=args.device)
    bar = ProgressBar(args.samples, label='W samples') if args.method == 'pca' else None
    result = directions.compute(G, args.method, first, last, args.num, keep_pose=args.keep_pose,
        **(dict(num_samples=args.samples, seed=args.seed, progress=lambda done, total: bar.update(done)) if bar else {}))
    latent_files.save_directions(args.out, result)
    print(f'{len(result)} {args.method} directions of {args.network} -> {args.out}')
    for k, name in enumerate(result.names[:8]):
        value = '' if result.values is None else f', value {float(result.values[k]):.4g}'
        print(f'  {name}: sigma {float(result.sigmas[k]):.4g}{value}')
    return 0
