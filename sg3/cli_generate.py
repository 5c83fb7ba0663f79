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

def parse_strengths(text: str) -> dict[int, float]:
    """'0:2.0,3:-1.5' -> {0: 2.0, 3: -1.5}: direction index, strength in units of its spread sigma."""
    strengths = {}
    for part in str(text).split(','):
        try:
            index, value = part.split(':')
            index, value = int(index), float(value)
            if index < 0 or not np.isfinite(value) or index in strengths:
                raise ValueError
        except ValueError:
            raise Sg3Error(f'invalid strengths {text!r}: expected INDEX:STRENGTH pairs separated by commas, each index once, '
                f'e.g. 0:2.0,3:-1.5') from None
        strengths[index] = value
    return strengths

#----------------------------------------------------------------------------

def add_parsers(subparsers) -> None:
    p = subparsers.add_parser('generate', help='write PNG images for a list of seeds')
    p.add_argument('--network', default='builtin:sg3-t', help='built-in name, .pkl / .safetensors path, or URL (default: builtin:sg3-t)')
    p.add_argument('--seeds', default=None, help='seeds, e.g. 0-3,7 (or --w)')
    p.add_argument('--w', default=None, metavar='FILE', help='W / W+ latents (.npy / .npz, e.g. projected_w.npz) instead of seeds')
    p.add_argument('--trunc', type=float, default=1.0, help='truncation psi (default: 1)')
    p.add_argument('--trunc-cutoff', type=int, default=None, help='truncate only the first N ws (default: all)')
    p.add_argument('--class', dest='class_idx', type=int, default=None, help='class label for conditional networks')
    p.add_argument('--noise-mode', default='const', choices=['const', 'random', 'none'], help='StyleGAN2 noise (default: const)')
    p.add_argument('--translate', default='0,0', help='translate X,Y in units of the image (StyleGAN3), e.g. 0.1,0')
    p.add_argument('--rotate', type=float, default=0.0, help='rotation in degrees (StyleGAN3)')
    p.add_argument('--scale', type=float, default=1.0, help='zoom of the input transform (StyleGAN3; the viewer\'s scale, default: 1)')
    p.add_argument('--directions', default=None, metavar='FILE', help='direction set (.npy / .npz, e.g. from python -m sg3 directions) '
        'to edit W with, as the viewer does: w + sum_k s_k * sigma_k * d_k')
    p.add_argument('--strengths', default=None, help='with --directions: INDEX:STRENGTH pairs in sigma, e.g. 0:2.0,3:-1.5')
    p.add_argument('--layers', default=None, help='with --directions: W indices FIRST-LAST (inclusive) the edit applies to (default: all)')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or mps (default: auto)')
    p.add_argument('--outdir', required=True, help='folder for the PNG files')
    p.set_defaults(func=run)

def run(args: argparse.Namespace) -> int:
    from PIL import Image
    import sg3
    from sg3.pipeline import seed_latent, to_uint8

    if (args.seeds is None) == (args.w is None):
        raise Sg3Error('give either --seeds or --w (a W / W+ file), not both')
    seeds = parse_seeds(args.seeds) if args.w is None else []
    translate = parse_vec2(args.translate, 'translate')
    edit = parse_edit(args)
    G = sg3.load_generator(args.network, device=args.device)
    if args.w is not None:
        return run_latents(G, args, translate, edit)
    device = next(G.parameters()).device
    if G.c_dim > 0 and args.class_idx is None:
        raise Sg3Error(f'this network is conditional: give --class from 0 to {G.c_dim - 1}')
    seed_latent(seeds[0], G.z_dim, G.c_dim, args.class_idx)                     # Fail before any work for a bad --class.
    directions = prepare(G, args, translate, edit)

    # Generate one image per seed.
    written = []
    with torch.no_grad(), ProgressBar(len(seeds), label='generate') as progress:
        for seed in seeds:
            z, c = seed_latent(seed, G.z_dim, G.c_dim, args.class_idx)
            if directions is None:
                img = G(z.to(device), c.to(device), truncation_psi=args.trunc, truncation_cutoff=args.trunc_cutoff, noise_mode=args.noise_mode)
            else:
                ws = G.mapping(z.to(device), c.to(device), truncation_psi=args.trunc, truncation_cutoff=args.trunc_cutoff)
                img = G.synthesis(edited(ws, directions, edit), noise_mode=args.noise_mode)
            written.append(os.path.join(args.outdir, f'seed{seed:04d}.png'))
            Image.fromarray(to_uint8(img[0])).save(written[-1])
            progress.update()

    # List what was written.
    print(f'Wrote {len(written)} image{"s" if len(written) != 1 else ""}:')
    for path in written:
        print(f'  {path}')
    return 0

def run_latents(G: torch.nn.Module, args: argparse.Namespace, translate: tuple[float, float], edit: tuple | None = None) -> int:
    """--w: one image per W+ of the file, synthesised as is (no mapping, no truncation): w0000.png, w0001.png, ..."""
    from PIL import Image
    from sg3.latent_files import load_latents
    from sg3.pipeline import to_uint8
    ws = torch.from_numpy(load_latents(args.w, G.num_ws, G.w_dim)).to(next(G.parameters()).device)
    directions = prepare(G, args, translate, edit)
    progress = ProgressBar(len(ws), label='generate')
    with torch.no_grad():
        for idx in range(len(ws)):
            img = G.synthesis(edited(ws[idx:idx + 1], directions, edit), noise_mode=args.noise_mode)
            Image.fromarray(to_uint8(img[0])).save(os.path.join(args.outdir, f'w{idx:04d}.png'))
            progress.update()
    return 0

#----------------------------------------------------------------------------
# What seeds and latents share: the input transform, the output folder, the edit along directions.

def prepare(G: torch.nn.Module, args: argparse.Namespace, translate: tuple[float, float], edit: tuple | None):
    """Check --translate / --rotate / --scale against the network and set its input transform, read --directions
    (the viewer's sg3.latent_files.direction_set), make --outdir. Returns the DirectionSet or None."""
    from sg3.transforms import input_transform
    scale = getattr(args, 'scale', 1.0)
    if not np.isfinite(scale) or scale == 0:
        raise Sg3Error(f'invalid --scale {scale}: expected a finite number other than 0 (0 is singular)')
    if (translate != (0.0, 0.0) or args.rotate != 0 or scale != 1) and not G.has_input_transform:
        raise Sg3Error(f'--translate / --rotate / --scale need a StyleGAN3 network; {args.network} is {G.architecture}, which has no input transform')
    if G.has_input_transform:
        G.synthesis.input.transform.copy_(torch.from_numpy(input_transform(translate, args.rotate, scale)))
    directions = None
    if edit is not None:
        from sg3.latent_files import direction_set
        directions = direction_set(args.directions, G)
        strengths, (first, last) = edit
        if len(strengths) > len(directions):
            raise Sg3Error(f'--strengths {args.strengths!r}: {args.directions} holds {len(directions)} directions; expected indices '
                f'0 .. {len(directions) - 1}')
        if (last or G.num_ws) > G.num_ws:
            raise Sg3Error(f'--layers {args.layers!r}: this network has num_ws = {G.num_ws}; expected W indices 0 .. {G.num_ws - 1}')
    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        raise Sg3Error(f'--outdir {args.outdir!r} exists and is not a folder')
    os.makedirs(args.outdir, exist_ok=True)
    return directions

def parse_edit(args: argparse.Namespace) -> tuple | None:
    """(strengths as a tuple by index, (first, last)) of --directions / --strengths / --layers, or None without them."""
    from sg3.cli_directions import parse_range
    if getattr(args, 'directions', None) is None:
        if getattr(args, 'strengths', None) is not None or getattr(args, 'layers', None) is not None:
            raise Sg3Error('--strengths and --layers edit along --directions: give a direction file with --directions')
        return None
    if args.strengths is None:
        raise Sg3Error('--directions needs --strengths, e.g. 0:2.0,3:-1.5 (direction index: strength in sigma)')
    by_index = parse_strengths(args.strengths)
    strengths = tuple(by_index.get(k, 0.0) for k in range(max(by_index) + 1))
    return strengths, parse_range(args.layers)

def edited(ws: torch.Tensor, directions, edit: tuple | None) -> torch.Tensor:
    """ws moved along the directions (sg3.directions.apply_directions, as the viewer does), or ws itself."""
    if directions is None:
        return ws
    from sg3.directions import apply_directions
    strengths, (first, last) = edit
    return apply_directions(ws, directions, strengths, first, last)

#----------------------------------------------------------------------------
