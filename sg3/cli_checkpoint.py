"""`python -m sg3 convert` and `python -m sg3 info`: the command-line side of `sg3.checkpoint`."""

import argparse
import os
import sys

from sg3.errors import CheckpointError

#----------------------------------------------------------------------------

def add_parsers(subparsers) -> None:
    """Add the `convert` and `info` subcommands to an argparse subparsers object."""
    parser = subparsers.add_parser('convert', help='convert a network (.pkl, URL) to our .safetensors format',
        description='Read a network without executing anything from it and write it in our safetensors format. '
            'Loading the result gives bit-identical outputs.')
    parser.add_argument('source', metavar='IN', help='NVIDIA network pickle, .safetensors file or http(s) URL')
    parser.add_argument('output', metavar='OUT', help='output file, ending in .safetensors')
    parser.add_argument('--key', default=None, help='snapshot key to convert (default: G_ema, else G)')
    parser.set_defaults(func=run_convert)

    parser = subparsers.add_parser('info', help='describe a network file or URL',
        description='Print the architecture, resolution, channels, latent sizes, parameter count, keys and '
            'training-set facts of a network, without executing anything from the file.')
    parser.add_argument('source', metavar='SOURCE', help='NVIDIA network pickle, .safetensors file or http(s) URL')
    parser.add_argument('--key', default=None, help='snapshot key to describe (default: G_ema, else G)')
    parser.set_defaults(func=run_info)

def run_convert(args: argparse.Namespace) -> int:
    from sg3 import checkpoint
    if not args.output.endswith('.safetensors'):
        return _fail(f'{args.output}: the output name must end in .safetensors (our format is safetensors with sg3-viz metadata)')
    if os.path.exists(args.source) and os.path.exists(args.output) and os.path.samefile(args.source, args.output):
        return _fail(f'{args.output}: the output would overwrite the input')
    try:
        loaded = checkpoint.load_network(args.source, key=args.key, progress=_print_progress if checkpoint.is_url(args.source) else None)
        checkpoint.save_network(loaded.G, args.output, training_set_kwargs=loaded.info.training_set_kwargs)
    except CheckpointError as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f'{args.output}: could not be written ({e.strerror or e})')
    for line in loaded.info.describe():
        print(line)
    print(f'Wrote {args.output}')
    return 0

def run_info(args: argparse.Namespace) -> int:
    from sg3 import checkpoint
    try:
        loaded = checkpoint.load_network(args.source, key=args.key, progress=_print_progress if checkpoint.is_url(args.source) else None)
    except CheckpointError as e:
        return _fail(str(e))
    for line in loaded.info.describe():
        print(line)
    return 0

def _fail(message: str) -> int:
    print(f'error: {message}', file=sys.stderr)
    return 2 # As `python -m sg3` does for other user errors.

def _print_progress(done: int, total: int|None) -> None:
    text = f'{done / 1e6:.1f} MB' if total is None else f'{done / 1e6:.1f} / {total / 1e6:.1f} MB'
    print(f'\rDownloading: {text}', end='' if total is None or done < total else '\n', file=sys.stderr, flush=True)

#----------------------------------------------------------------------------
