"""The native filtered_lrelu kernel under AddressSanitizer: the seeded random-call cases of
tests/sg3/test_native_boundary.py (valid and invalid shapes, strides, dtypes, factors, filter taps, through the
public ops), with the kernel built by sg3.ops.native's own build path plus -fsanitize=address. Prints how many
calls reached the kernel, how many results differ from the reference, and how many sanitizer reports there were.

    python benchmarks/asan_native.py [--cases 2000] [--seed 20240611] [--keep DIR]

The cases run in a child process that has the sanitizer's runtime preloaded (LD_PRELOAD=libasan.so, which an
instrumented library loaded into python needs); reports go to log files (halt_on_error=0 with
-fsanitize-recover=address, so one report does not end the run), counted here and split into those whose stack
is in our kernel and any others. Needs gcc or clang with libasan; Linux.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
SANITIZE = ['-fsanitize=address', '-fsanitize-recover=address', '-fno-omit-frame-pointer', '-g']

CHILD = r'''
import json, math, sys
import numpy as np
import torch
from sg3.ops import native
native.FLAGS = native.FLAGS + json.loads(sys.argv[3])        # The same build path, sanitized (its own cache entry).
from sg3.errors import OpArgumentError
from sg3.ops.filtered_lrelu import filtered_lrelu
from sg3.ops.upfirdn2d import upfirdn2d
from tests.sg3 import test_native_boundary as boundary
torch.set_num_threads(1)
lib = native.library()
if lib is None:
    print(json.dumps({'error': native.status()}))
    sys.exit(1)
kernel = native.filtered_lrelu
calls = []
native.filtered_lrelu = lambda *a, **k: calls.append(1) or kernel(*a, **k)
rng = np.random.default_rng(int(sys.argv[2]))
ops = dict(upfirdn2d=upfirdn2d, filtered_lrelu=filtered_lrelu)
counts = dict(cases=0, valid=0, refused=0, mismatches=0, unexpected=0)
for case in range(int(sys.argv[1])):
    op, args, error = boundary._random_call(rng)
    want = boundary._outcome(ops[op], args, 'ref')
    try:
        got = ops[op](**args, impl='fast')
    except OpArgumentError as e:
        got = e
    except Exception as e:                                   # Not our exception: a finding.
        counts['unexpected'] += 1
        continue
    counts['cases'] += 1
    if isinstance(want, Exception) or isinstance(got, Exception):
        counts['refused'] += 1
        counts['mismatches'] += type(got) is not type(want)
        continue
    counts['valid'] += 1
    tol = boundary.TOLERANCE[args['x'].dtype] * max(1.0, float(want.abs().max()))
    counts['mismatches'] += not (got.shape == want.shape and float((got.double() - want.double()).abs().max()) <= tol)
if len(sys.argv) > 4:                                        # The control: a read past a buffer must be reported.
    import ctypes
    ctypes.CDLL(sys.argv[4]).asan_control_read(8)
counts['kernel_calls'] = len(calls)
counts['library'] = native.status()
print(json.dumps(counts))
'''


def libasan(cc: str) -> str | None:
    path = subprocess.run([cc, '-print-file-name=libasan.so'], capture_output=True, text=True).stdout.strip()
    return path if path and os.path.isabs(path) and os.path.exists(path) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--cases', type=int, default=2000, help='random calls (default: 2000)')
    parser.add_argument('--seed', type=int, default=20240611, help='seed of the calls (default: the test\'s)')
    parser.add_argument('--keep', help='keep the sanitized library and the reports in this folder')
    parser.add_argument('--control', action='store_true', help='also make one deliberate out-of-bounds read in a sanitized '
        'library of its own, to show that reports are caught and counted (expect exactly one, elsewhere)')
    opts = parser.parse_args()

    cc = os.environ.get('CC') or shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')
    runtime = libasan(cc) if cc else None
    if runtime is None:
        print(f'no AddressSanitizer runtime found (compiler: {cc}); install gcc with libasan', file=sys.stderr)
        return 2
    work = pathlib.Path(opts.keep or tempfile.mkdtemp(prefix='sg3-asan-'))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    (work / 'kernels').mkdir(mode=0o700, exist_ok=True)
    for old in glob.glob(str(work / 'asan.*')):
        os.remove(old)
    env = dict(os.environ, PYTHONPATH=str(REPO), SG3_NATIVE='1', SG3_KERNEL_CACHE=str(work / 'kernels'), LD_PRELOAD=runtime,
        ASAN_OPTIONS=f'halt_on_error=0:detect_leaks=0:alloc_dealloc_mismatch=0:verify_asan_link_order=0:log_path={work / "asan"}')
    control = []
    if opts.control:
        source = work / 'control.c'
        source.write_text('#include <stdlib.h>\nint asan_control_read(int n) { volatile int *p = malloc(n * sizeof(int)); '
            'int v = p[n]; free((void *)p); return v; }\n')
        subprocess.run([cc, *SANITIZE, '-shared', '-fPIC', '-o', str(work / 'control.so'), str(source)], check=True)
        control = [str(work / 'control.so')]
    proc = subprocess.run([sys.executable, '-c', CHILD, str(opts.cases), str(opts.seed), json.dumps(SANITIZE), *control], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=3600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{')]
    if proc.returncode != 0 or not lines:
        print(f'the sanitized run failed (exit code {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}', file=sys.stderr)
        return 1
    counts = json.loads(lines[-1])
    reports = []
    for log in sorted(glob.glob(str(work / 'asan.*'))):
        text = pathlib.Path(log).read_text(errors='replace')
        reports += [part for part in re.split(r'(?m)^=+\n(?==+\d+=+ERROR)', text) if 'ERROR: AddressSanitizer' in part] or \
            [text] * text.count('ERROR: AddressSanitizer')
    ours = [r for r in reports if 'filtered_lrelu.c' in r or 'sg3_filtered_lrelu' in r]
    print(f'{counts["cases"]} random calls ({counts["valid"]} valid, {counts["refused"]} refused with our exception), '
        f'{counts["kernel_calls"]} reached the sanitized native kernel; {counts["mismatches"]} differ from the reference, '
        f'{counts["unexpected"]} raised another exception')
    print(f'AddressSanitizer reports: {len(reports)} ({len(ours)} in the kernel, {len(reports) - len(ours)} elsewhere); '
        f'{counts["library"]}')
    for report in reports[:3]:
        print(report[:2000])
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if len(reports) == len(control) and not ours and not counts['mismatches'] and not counts['unexpected'] and counts['kernel_calls'] else 1


if __name__ == '__main__':
    sys.exit(main())
