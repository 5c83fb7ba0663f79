"""`python -m sg3 convert` and `python -m sg3 info`: the command-line side of `sg3.checkpoint`."""

import argparse
import os
import sys

from sg3.errors import CheckpointError
from sg3.progress import DownloadProgress

#----------------------------------------------------------------------------

def add_parsers(subparsers) -> None:
    """Add the `convert` and `info` subcommands to an argparse subparsers object."""
    parser = subparsers.add_parser('convert', help='convert a network (.pkl, URL, built-in) to our .safetensors format',
        description='Read a network without executing anything from it and write it in our safetensors format. '
            'Loading the result gives bit-identical outputs.')
    parser.add_argument('source', metavar='IN', help='NVIDIA network pickle, .safetensors file, http(s) URL or builtin:NAME')
    parser.add_argument('output', metavar='OUT', help='output file, ending in .safetensors')
    parser.add_argument('--key', default=None, help='snapshot key to convert (default: G_ema, else G)')
    parser.add_argument('--force', action='store_true', help='replace OUT if it exists')
    parser.set_defaults(func=run_convert)

    parser = subparsers.add_parser('info', help='describe a network file, URL or built-in',
        description='Print the architecture, resolution, channels, latent sizes, parameter count, keys and '
            'training-set facts of a network, without executing anything from the file.')
    parser.add_argument('source', metavar='SOURCE', help='NVIDIA network pickle, .safetensors file, http(s) URL or builtin:NAME')
    parser.add_argument('--key', default=None, help='snapshot key to describe (default: G_ema, else G)')
    parser.set_defaults(func=run_info)

def run_convert(args: argparse.Namespace) -> int:
    from sg3 import checkpoint
    if not args.output.endswith('.safetensors'):
        return _fail(f'{args.output}: the output name must end in .safetensors (our format is safetensors with sg3-viz metadata)')
    if os.path.exists(args.source) and os.path.exists(args.output) and os.path.samefile(args.source, args.output):
        return _fail(f'{args.output}: the output would overwrite the input')
    if os.path.lexists(args.output) and not args.force:
        return _fail(f'{args.output} exists; pass --force to replace it')
    try:
        loaded = _load(args.source, args.key)
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
    try:
        loaded = _load(args.source, args.key)
    except CheckpointError as e:
        return _fail(str(e))
    for line in loaded.info.describe():
        print(line)
    return 0

def _load(source: str, key: str|None):
    """sg3.checkpoint.load_network (a file, URL or built-in), with a download progress line that is ended on failure."""
    from sg3 import checkpoint
    with DownloadProgress() as progress:
        return checkpoint.load_network(source, key=key, progress=progress if checkpoint.is_url(source) else None)

def _fail(message: str) -> int:
    print(f'error: {message}', file=sys.stderr)
    return 2 # As `python -m sg3` does for other user errors.

#----------------------------------------------------------------------------
