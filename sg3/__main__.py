"""Command-line tools: `python -m sg3 {generate,convert,info,equivariance,spectra,directions} ...`."""

import argparse
import importlib
import sys

from sg3.errors import Sg3Error

# Modules that register subcommands through `add_parsers(subparsers)`.
COMMAND_MODULES = ['sg3.cli_generate', 'sg3.cli_checkpoint', 'sg3.cli_analysis', 'sg3.cli_directions']

#----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m sg3', description='StyleGAN3 / StyleGAN2 generator tools.')
    subparsers = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue
        module.add_parsers(subparsers)
    return parser

def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Sg3Error as err:
        print(f'error: {err}', file=sys.stderr)
        return 2

if __name__ == '__main__':
    sys.exit(main())

#----------------------------------------------------------------------------
