"""Speed of the generators on the reference path (impl 'ref') and on the fast path (impl 'auto', what the
application runs: fast ops where they pay on this device), measured side by side.

For each network: time per frame of one-image forward passes G(z) (median after a warm-up), the ratio,
the largest difference between the two outputs, peak memory (VmHWM of a fresh process per
configuration), and the achieved GFLOP/s of the modulated convolutions (multiply-adds counted from the
shapes, 2 FLOP each); with --per-op each op's time per frame (synchronised on CUDA and MPS, where 'auto'
times the reference and the fast path of every op at first use and keeps the faster: the choices are
printed too). Prints a table and writes JSON. Both paths run with the application's thread counts
and the same memory settings (--memory: plain by default, or the application's); the fast path uses the
native kernels where they build (sg3/ops/native.py; SG3_NATIVE=0 measures without them).

    python benchmarks/bench_generator.py                      # everything (the 1024 px references take minutes)
    python benchmarks/bench_generator.py --skip-1024 --json out.json
    python benchmarks/bench_generator.py --networks sg3-t-256,builtin:sg3-t --repeats 5
    python benchmarks/bench_generator.py --memory app         # both paths with the application's memory settings
    python benchmarks/bench_generator.py --device cuda --per-op # on a GPU: per-op times and the choices 'auto' measured
"""

import argparse
import json
import math
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Official configurations (NVIDIA's train.py): StyleGAN3-T / -R and StyleGAN2 at 256 and 1024 px.
_BASE = dict(z_dim=512, c_dim=0, w_dim=512, img_channels=3)
OFFICIAL = {
    'sg3-t-256':  ('stylegan3', dict(_BASE, img_resolution=256, channel_base=32768, channel_max=512, mapping_kwargs=dict(num_layers=2))),
    'sg3-r-256':  ('stylegan3', dict(_BASE, img_resolution=256, channel_base=65536, channel_max=1024, conv_kernel=1, use_radial_filters=True, mapping_kwargs=dict(num_layers=2))),
    'sg2-256':    ('stylegan2', dict(_BASE, img_resolution=256, channel_base=32768, channel_max=512, mapping_kwargs=dict(num_layers=8))),
    'sg3-t-1024': ('stylegan3', dict(_BASE, img_resolution=1024, channel_base=32768, channel_max=512, mapping_kwargs=dict(num_layers=2))),
    'sg3-r-1024': ('stylegan3', dict(_BASE, img_resolution=1024, channel_base=65536, channel_max=1024, conv_kernel=1, use_radial_filters=True, mapping_kwargs=dict(num_layers=2))),
    'sg2-1024':   ('stylegan2', dict(_BASE, img_resolution=1024, channel_base=32768, channel_max=512, mapping_kwargs=dict(num_layers=8))),
}
BUILTINS = ['builtin:sg3-t', 'builtin:sg3-r', 'builtin:sg2']
DEFAULT_NETWORKS = BUILTINS + ['sg3-t-256', 'sg3-r-256', 'sg2-256', 'sg3-t-1024', 'sg3-r-1024', 'sg2-1024']

#----------------------------------------------------------------------------
# Building and calibrating networks (random weights, fixed seed).

def build_network(name: str):
    """The generator called `name`, on the CPU, eval mode: a built-in, or an official size with random weights."""
    import torch
    import sg3
    if name.startswith('builtin:'):
        return sg3.load_generator(name)
    from sg3.networks_stylegan2 import Generator as StyleGAN2Generator
    from sg3.networks_stylegan3 import Generator as StyleGAN3Generator
    kind, kwargs = OFFICIAL[name]
    cls = StyleGAN3Generator if kind == 'stylegan3' else StyleGAN2Generator
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return cls(**kwargs).eval().requires_grad_(False)

def calibrate(G) -> None:
    """Like a trained network: w_avg from 256 latents and each StyleGAN3 layer's input magnitude from one
    pass, so that activations keep unit scale through the layers and the image is not flat or saturated."""
    import torch
    z = torch.randn([256, G.z_dim], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        G.mapping.w_avg.copy_(G.mapping(z, None).mean(dim=[0, 1]))
        if G.architecture.startswith('stylegan3'):
            def track(module, inputs):
                module.magnitude_ema.copy_(inputs[0].square().mean())
            hooks = [getattr(G.synthesis, name).register_forward_pre_hook(track) for name in G.synthesis.layer_names]
            G.synthesis(G.mapping(z[:1], None))
            for hook in hooks:
                hook.remove()

#----------------------------------------------------------------------------
# Worker: one network on one path, in a fresh process.

OPS = [ # (module, function, label): the ops the networks call, timed where the networks call them.
    ('sg3.networks_stylegan3', 'modulated_conv2d_sg3', 'modulated conv'), ('sg3.networks_stylegan2', 'modulated_conv2d_sg2', 'modulated conv'),
    ('sg3.ops.filtered_lrelu', 'filtered_lrelu', 'filtered_lrelu'), ('sg3.ops.upfirdn2d', 'upsample2d', 'upfirdn2d'),
    ('sg3.ops.bias_act', 'bias_act', 'bias_act')]

def time_ops(records: list, device) -> None:
    """Wrap the networks' ops to record (label, seconds, multiply-adds or 0) of every outermost call (an op that
    another op calls counts as part of it); on CUDA and MPS each call is synchronised before and after."""
    import importlib
    import threading
    from sg3.ops import _impl
    depth = threading.local()

    def wrap(module, name, label):
        func = getattr(module, name)
        def timed(*args, **kwargs):
            if getattr(depth, 'value', 0) > 0:
                return func(*args, **kwargs)
            _impl._synchronize(device)
            depth.value = 1
            start = time.perf_counter()
            try:
                y = func(*args, **kwargs)
                _impl._synchronize(device)
            finally:
                depth.value = 0
            seconds = time.perf_counter() - start
            macs = 0
            if label == 'modulated conv':
                x = kwargs.get('x', args[0] if args else None)
                w = kwargs.get('w', kwargs.get('weight'))
                batch, in_channels, in_h, in_w = x.shape
                out_channels, _, kh, kw = w.shape
                if kwargs.get('up', 1) > 1: # Transposed convolution: every input pixel meets every tap.
                    macs = batch * in_channels * in_h * in_w * out_channels * kh * kw
                else:
                    macs = batch * out_channels * y.shape[2] * y.shape[3] * in_channels * kh * kw
            records.append((label, seconds, macs))
            return y
        setattr(module, name, timed)

    for module, name, label in OPS:
        wrap(importlib.import_module(module), name, label)

def peak_memory_mb() -> float:
    """Peak resident memory of this process: VmHWM on Linux (ru_maxrss would include the parent's memory,
    which a child carries over through fork and exec), else ru_maxrss."""
    try:
        for line in pathlib.Path('/proc/self/status').read_text().splitlines():
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == 'darwin' else 1024 # Bytes on macOS, KiB elsewhere.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024

def calibrate_worker(args) -> None:
    """Build and calibrate one official-size network in a fresh process and save its state dict."""
    import torch
    G = build_network(args.network)
    calibrate(G)
    torch.save(G.state_dict(), args.output)

def worker(args) -> None:
    import numpy as np
    import torch
    import sg3
    import sg3.ops
    import sg3.ops.native
    from sg3.ops import _impl

    # Threads as the application sets them; its memory settings with --memory app (huge pages for torch's
    # allocator come from the environment the driver gives this process).
    threads = sg3.ops.configure_threads(args.threads)
    allocator = sg3.ops.configure_allocator() if args.memory == 'app' else False
    sg3.ops.set_default_impl('auto' if args.impl == 'fast' else args.impl) # 'fast' = what the application runs by default.
    device = sg3.resolve_device(args.device)
    G = build_network(args.network)
    if args.state:
        G.load_state_dict(torch.load(args.state, weights_only=True))
    G = G.to(device)
    z = torch.randn([1, G.z_dim], generator=torch.Generator().manual_seed(123)).to(device)

    # Warm up (on CUDA and MPS 'auto' measures each op's faster path here), then time one-image forward passes;
    # then the same passes once more with every op timed on its own (synchronised on CUDA and MPS).
    times = []
    with torch.no_grad():
        for rep in range(args.warmup + args.repeats):
            _impl._synchronize(device)
            start = time.perf_counter()
            img = G(z, None, noise_mode='const')
            _impl._synchronize(device)
            if rep >= args.warmup:
                times.append(time.perf_counter() - start)
        records = []
        time_ops(records, device)
        per_frame = []
        for rep in range(args.repeats):
            records.clear()
            G(z, None, noise_mode='const')
            per_frame.append(list(records))
    np.save(args.output, img.cpu().numpy())
    labels = sorted({label for frame in per_frame for label, _s, _m in frame})
    ops = {label: statistics.median(sum(s for lab, s, _m in frame if lab == label) for frame in per_frame) for label in labels}
    macs = sum(m for label, _s, m in per_frame[0] if label == 'modulated conv')
    peak = torch.cuda.max_memory_allocated(device) / 2 ** 20 if device.type == 'cuda' else peak_memory_mb()
    result = dict(
        network=args.network, impl=args.impl, device=str(device), times=times, median=statistics.median(times),
        ops_seconds=ops, modconv_seconds=ops.get('modulated conv', math.nan), modconv_macs=macs,
        measured_choices=[dict(op=key[0], shape_class=list(key[2:]), impl=c.impl, ref_seconds=c.ref_seconds, fast_seconds=c.fast_seconds)
            for key, c in _impl.measured_choices().items()],
        peak_mb=peak, threads=threads, allocator_tuned=allocator, memory=args.memory,
        huge_pages=os.environ.get('THP_MEM_ALLOC_ENABLE') == '1', native_kernels=sg3.ops.native.status(),
        output_std=float(img.std()), output_absmax=float(img.abs().max()))
    result['modconv_gflops'] = 2 * macs / result['modconv_seconds'] / 1e9
    print(json.dumps(result))

#----------------------------------------------------------------------------
# Driver.

def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]

def machine() -> dict:
    import torch
    cpu = platform.processor()
    try:
        for line in pathlib.Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), platform=platform.platform(), python=platform.python_version(), torch=torch.__version__)

def run_worker(network: str, impl: str, repeats: int, warmup: int, state: str | None, workdir: str, opts) -> dict:
    output = os.path.join(workdir, f'{network.replace(":", "_")}-{impl}.npy')
    cmd = [sys.executable, __file__, '--worker', '--network', network, '--impl', impl, '--repeats', str(repeats),
        '--warmup', str(warmup), '--output', output]
    if state:
        cmd += ['--state', state]
    if opts.threads:
        cmd += ['--threads', str(opts.threads)]
    cmd += ['--memory', opts.memory, '--device', opts.device]
    env = dict(os.environ)
    if opts.memory == 'app':
        env['THP_MEM_ALLOC_ENABLE'] = '1' # As visualizer.py sets it.
    else:
        env.pop('THP_MEM_ALLOC_ENABLE', None)
    load_before = load_average()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    if proc.returncode != 0:
        reason = f'killed by signal {-proc.returncode} (out of memory?)' if proc.returncode < 0 else proc.stderr[-4000:]
        raise RuntimeError(f'worker for {network} ({impl}) failed: {reason}')
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(load_before=load_before, load_after=load_average(), output_file=output)
    return result

def benchmark(opts) -> dict:
    import numpy as np
    networks = [n.strip() for n in opts.networks.split(',') if n.strip()] if opts.networks else list(DEFAULT_NETWORKS)
    if opts.skip_1024:
        networks = [n for n in networks if not n.endswith('1024')]
    unknown = [n for n in networks if n not in OFFICIAL and n not in BUILTINS]
    if unknown:
        raise SystemExit(f'unknown networks {unknown}; expected some of {DEFAULT_NETWORKS}')

    report = dict(machine=machine(), started=time.strftime('%Y-%m-%d %H:%M:%S'), load_start=load_average(), results=[])
    with tempfile.TemporaryDirectory(prefix='sg3-bench-') as workdir:
        for network in networks:
            # Calibrate random official-size networks once, here, and give both paths the same weights.
            state = None
            if network in OFFICIAL:
                state = os.path.join(workdir, 'state.pt')
                cmd = [sys.executable, __file__, '--calibrate', '--network', network, '--output', state]
                subprocess.run(cmd, check=True, cwd=REPO)
            big = network.endswith('1024')
            try:
                ref = run_worker(network, 'ref', 1 if big else opts.repeats, 0 if big else 1, state, workdir, opts)
                fast = run_worker(network, 'fast', opts.repeats, 1, state, workdir, opts)
            except RuntimeError as error:
                print(f'{network:<15} {error}', flush=True)
                report['results'].append(dict(network=network, error=str(error)))
                continue
            diff = float(np.abs(np.load(ref['output_file']).astype(np.float64) - np.load(fast['output_file'])).max())
            row = dict(network=network, ref=ref, fast=fast, speedup=ref['median'] / fast['median'], max_abs_diff=diff,
                memory_ratio=fast['peak_mb'] / ref['peak_mb'])
            report['results'].append(row)
            print_row(row)
            if opts.per_op:
                print_ops(row)
    report['load_end'] = load_average()
    return report

def print_header() -> None:
    print(f'{"network":<15} {"ref s/frame":>11} {"fast s/frame":>12} {"speedup":>8} {"max |diff|":>10} '
        f'{"ref MB":>8} {"fast MB":>8} {"ref GFLOP/s":>11} {"fast GFLOP/s":>12} {"load":>16}', flush=True)

def print_row(row: dict) -> None:
    ref, fast = row['ref'], row['fast']
    load = '/'.join(f'{v:.1f}' for v in fast['load_after'])
    print(f'{row["network"]:<15} {ref["median"]:>11.3f} {fast["median"]:>12.3f} {row["speedup"]:>7.1f}x {row["max_abs_diff"]:>10.1e} '
        f'{ref["peak_mb"]:>8.0f} {fast["peak_mb"]:>8.0f} {ref["modconv_gflops"]:>11.0f} {fast["modconv_gflops"]:>12.0f} {load:>16}', flush=True)

def print_ops(row: dict) -> None:
    """Each op's time per frame on both paths, and the per-op choices 'auto' measured (CUDA, MPS)."""
    ref, fast = row['ref']['ops_seconds'], row['fast']['ops_seconds']
    for label in sorted(set(ref) | set(fast)):
        print(f'    {label:<16} ref {1e3 * ref.get(label, 0):9.2f} ms/frame   fast {1e3 * fast.get(label, 0):9.2f} ms/frame', flush=True)
    for choice in row['fast']['measured_choices']:
        print(f'    measured on {row["fast"]["device"]}: {choice["op"]:<22} {str(choice["shape_class"]):<44} -> {choice["impl"]:<4} '
            f'(ref {1e3 * choice["ref_seconds"]:.2f} ms, fast {1e3 * choice["fast_seconds"]:.2f} ms)', flush=True)

#----------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--networks', help=f'comma-separated, from {",".join(DEFAULT_NETWORKS)} (default: all)')
    parser.add_argument('--repeats', type=int, default=3, help='timed runs per configuration after one warm-up (default 3; the 1024 px reference runs once)')
    parser.add_argument('--json', metavar='OUT', help='write the results to this JSON file')
    parser.add_argument('--skip-1024', action='store_true', help='leave out the 1024 px networks (a quick run)')
    parser.add_argument('--threads', type=int, default=None, help='intra-op threads (default: all cores)')
    parser.add_argument('--device', default='cpu', help="cpu (default), cuda, mps or auto: where the networks run; on CUDA and MPS "
        "the fast path is 'auto', which times both paths per op and shape class at first use and keeps the faster")
    parser.add_argument('--per-op', action='store_true', help='also print each op\'s time per frame on both paths, and the choices measured on CUDA / MPS')
    parser.add_argument('--memory', choices=['plain', 'app'], default='plain', help="'plain' (default): the C library's and "
        "torch's memory defaults, as NVIDIA's code runs; 'app': both paths with the application's memory settings (huge pages "
        "for torch's allocator, sg3.ops.configure_allocator: freed memory kept for reuse, so peak memory includes what is "
        "kept; the 1024 px reference then peaks near 24 GB)")
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--calibrate', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--network', help=argparse.SUPPRESS)
    parser.add_argument('--impl', help=argparse.SUPPRESS)
    parser.add_argument('--warmup', type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    parser.add_argument('--state', help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker:
        worker(opts)
        return
    if opts.calibrate:
        calibrate_worker(opts)
        return

    print(f'machine: {machine()}, load average {load_average()}', flush=True)
    print_header()
    report = benchmark(opts)
    if opts.json:
        pathlib.Path(opts.json).write_text(json.dumps(report, indent=2))
        print(f'wrote {opts.json}')

if __name__ == '__main__':
    main()

#----------------------------------------------------------------------------
