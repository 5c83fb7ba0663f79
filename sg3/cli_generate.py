"""`python -m sg3 generate`: write PNG images for a list of seeds, like NVIDIA's gen_images.py."""

import argparse
import os

import numpy as np
import torch

from sg3.errors import Sg3Error
from sg3.progress import ProgressBar

#----------------------------------------------------------------------------

def parse_seeds(text: str) -> list[int]:
    """'0-3,7,10-11' -> [0, 1, 2, 3, 7, 10, 11]."""
    seeds = []
    for part in str(text).split(','):
        part = part.strip()
        try:
            if '-' in part[1:]:
                lo, hi = part.split('-', 1) if not part.startswith('-') else (None, None)
                lo, hi = int(lo), int(hi)
                if lo > hi:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
        except (TypeError, ValueError):
            raise Sg3Error(f'invalid seeds {text!r}: expected N, A-B with A <= B, or a comma-separated list of those (e.g. 0-3,7)') from None
    if any(seed < 0 or seed >= 2 ** 32 for seed in seeds):
        raise Sg3Error(f'invalid seeds {text!r}: seeds must be between 0 and 2**32 - 1')
    return seeds

def parse_vec2(text: str, name: str) -> tuple[float, float]:
    """'0.1,-0.2' -> (0.1, -0.2)."""
    parts = str(text).split(',')
    try:
        if len(parts) != 2:
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError
    except ValueError:
        raise Sg3Error(f'invalid {name} {text!r}: expected two finite numbers separated by a comma, e.g. 0.1,-0.2') from None
    return x, y

#----------------------------------------------------------------------------

def add_parsers(subparsers) -> None:
    p = subparsers.add_parser('generate', help='write PNG images for a list of seeds')
    p.add_argument('--network', default='builtin:sg3-t', help='built-in name, .pkl / .safetensors path, or URL (default: builtin:sg3-t)')
    p.add_argument('--seeds', required=True, help='seeds, e.g. 0-3,7')
    p.add_argument('--trunc', type=float, default=1.0, help='truncation psi (default: 1)')
    p.add_argument('--trunc-cutoff', type=int, default=None, help='truncate only the first N ws (default: all)')
    p.add_argument('--class', dest='class_idx', type=int, default=None, help='class label for conditional networks')
    p.add_argument('--noise-mode', default='const', choices=['const', 'random', 'none'], help='StyleGAN2 noise (default: const)')
    p.add_argument('--translate', default='0,0', help='translate X,Y in units of the image (StyleGAN3), e.g. 0.1,0')
    p.add_argument('--rotate', type=float, default=0.0, help='rotation in degrees (StyleGAN3)')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or mps (default: auto)')
    p.add_argument('--outdir', required=True, help='folder for the PNG files')
    p.set_defaults(func=run)

def run(args: argparse.Namespace) -> int:
    from PIL import Image
    import sg3
    from sg3.pipeline import seed_latent, to_uint8
    from sg3.transforms import input_transform

    seeds = parse_seeds(args.seeds)
    translate = parse_vec2(args.translate, 'translate')
    G = sg3.load_generator(args.network, device=args.device)
    device = next(G.parameters()).device
    if G.c_dim > 0 and args.class_idx is None:
        raise Sg3Error(f'this network is conditional: give --class from 0 to {G.c_dim - 1}')
    seed_latent(seeds[0], G.z_dim, G.c_dim, args.class_idx)                     # Fail before any work for a bad --class.
    if (translate != (0.0, 0.0) or args.rotate != 0) and not G.has_input_transform:
        raise Sg3Error(f'--translate / --rotate need a StyleGAN3 network; {args.network} is {G.architecture}, which has no input transform')
    if G.has_input_transform:
        G.synthesis.input.transform.copy_(torch.from_numpy(input_transform(translate, args.rotate)))
    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        raise Sg3Error(f'--outdir {args.outdir!r} exists and is not a folder')
    os.makedirs(args.outdir, exist_ok=True)

    # Generate one image per seed.
    written = []
    with torch.no_grad(), ProgressBar(len(seeds), label='generate') as progress:
        for seed in seeds:
            z, c = seed_latent(seed, G.z_dim, G.c_dim, args.class_idx)
            img = G(z.to(device), c.to(device), truncation_psi=args.trunc, truncation_cutoff=args.trunc_cutoff, noise_mode=args.noise_mode)
            written.append(os.path.join(args.outdir, f'seed{seed:04d}.png'))
            Image.fromarray(to_uint8(img[0])).save(written[-1])
            progress.update()

    # List what was written.
    print(f'Wrote {len(written)} image{"s" if len(written) != 1 else ""}:')
    for path in written:
        print(f'  {path}')
    return 0

#----------------------------------------------------------------------------
