"""Soak: the app for a long time (default 60 minutes) under Xvfb, measured as it goes.

The imgui app is built exactly as `visualizer.py` builds it (same options, worker, thread policy and allocator), and
this script runs its frame loop. Meanwhile: the latent and the input transform animate; every few seconds the view
switches between the plain image, the equivariance heatmap, the spectrum and one layer's channels; every few minutes
the network switches (the renderer keeps two, so every switch frees one and loads one); the pointer circles over
the image (xdotool), so the GUI draws frames while the generator runs. Sampled every half minute: resident memory,
threads, open files and GL texture names (glIsTexture over the names in use); per frame: the GUI's own work
(`--frame-log`). Reported per window (default 10 minutes): frames, renders, GUI work p50 / p95 and the last sample;
and in total: RSS after warm-up (first / last / max, growth), the ranges of threads, files and textures.

    python benchmarks/bench_soak.py [--minutes 60] [--networks builtin:sg3-t,builtin:sg3-r,builtin:sg2]
        [--mode-seconds 5] [--network-minutes 3] [--window-minutes 10] [--warmup-minutes 10] [--json FILE]

Targets: RSS after warm-up grows < 5 % over the hour; threads, files and textures constant; GUI work p95 the same in
every window. The test (tests/reliability/test_soak.py) runs two minutes of it on tiny networks.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / 'benchmarks'))
from bench_gui_frame_time import start_xvfb  # noqa: E402
WINDOW_SIZE = (1280, 800)
MODES = ('image', 'heatmap', 'spectrum', 'layer')


# ----------------------------------------------------------------------------
# What is measured.


def rss_mb() -> float:
    for line in pathlib.Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return float('nan')


def gl_textures() -> int:
    """Texture names in use in the current GL context (names are small integers handed out in order)."""
    from OpenGL import GL
    count, misses, name = 0, 0, 1
    while misses < 512:
        if GL.glIsTexture(name):
            count, misses = count + 1, 0
        else:
            misses += 1
        name += 1
    return count


def sample(start: float, renders: int, errors: int) -> dict:
    return {'t': round(time.monotonic() - start, 1), 'rss_mb': round(rss_mb(), 1), 'threads': len(os.listdir('/proc/self/task')),
        'python_threads': threading.active_count(), 'files': len(os.listdir('/proc/self/fd')), 'textures': gl_textures(),
        'renders': renders, 'render_errors': errors}


def percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1e3, q)), 2) if values else float('nan')

# ----------------------------------------------------------------------------
# The input.


def move_mouse(display: str, stop: threading.Event) -> None:
    """Circle the pointer over the image area, one move every 40 ms (one xdotool process per 2 s)."""
    env = dict(os.environ, DISPLAY=display)
    wid = subprocess.run(['xdotool', 'search', '--sync', '--name', '^sg3-viz'], env=env, capture_output=True, text=True,
        timeout=60).stdout.split()[0]
    step = 0
    while not stop.is_set():
        cmd = ['xdotool']
        for _ in range(50):
            angle = step * 0.1
            cmd += ['mousemove', '--window', wid, str(int(880 + 200 * np.cos(angle))), str(int(400 + 200 * np.sin(angle))), 'sleep', '0.04']
            step += 1
        subprocess.run(cmd, env=env, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def show_mode(core, mode: str) -> None:
    """Switch the view: the plain image, the EQ-T heatmap, the spectrum, or a middle layer's channels."""
    core.act('analysis', 'set', eq_mode='eqt' if mode == 'heatmap' else 'off', spectrum=mode == 'spectrum')
    layers = core.result.layers if core.result is not None and core.result.layers else ()
    if mode in ('layer', 'spectrum') and len(layers) > 2:
        core.act('layer', 'set', name=layers[len(layers) // 2].name, view='channel' if mode == 'layer' else 'rgb', channel=0)
    else:
        core.act('layer', 'set', name=None, view='rgb')

# ----------------------------------------------------------------------------


def run(opts: argparse.Namespace, work: pathlib.Path) -> dict:
    import visualizer
    frame_log = work / 'frames.jsonl'
    args = visualizer.parse_args([opts.networks[0], '--device', opts.device, '--fps', str(opts.fps), '--window-size',
        f'{WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}', '--capture-dir', str(work / 'captures'), '--frame-log', str(frame_log)])
    app = visualizer.open_imgui(args)
    core = app.core
    core.act('latent', 'set', anim=True, speed=opts.latent_speed)
    core.act('transform', 'set', anim_rotate=True, rotate_speed=10.0, anim_translate=True, translate_speed=0.01)
    start = time.monotonic()
    end = start + opts.minutes * 60
    next_mode, next_network, next_sample = start + opts.mode_seconds, start + opts.network_minutes * 60, start
    mode_index = network_index = 0
    renders = errors = 0
    error_kinds: dict[str, int] = {}
    shown = None
    samples: list[dict] = []
    renders_by_window: dict[int, int] = {}          # Counts only: a list of every render would grow this process itself.
    stop = threading.Event()
    mouse = None
    try:
        while time.monotonic() < end and not app.window.should_close():
            now = time.monotonic()
            if now >= next_mode:
                mode_index += 1
                show_mode(core, MODES[mode_index % len(MODES)])
                next_mode += opts.mode_seconds
            if now >= next_network and len(opts.networks) > 1:
                network_index += 1
                core.act('network', 'load', opts.networks[network_index % len(opts.networks)])
                core.act('layer', 'set', name=None, view='rgb')   # The layer shown may not exist in the next network.
                next_network += opts.network_minutes * 60
            app.frame()
            if core.result is not shown and core.result is not None:
                shown = core.result
                renders += 1
                errors += shown.error is not None
                if shown.error is not None:
                    kind = shown.error[:90]
                    error_kinds[kind] = error_kinds.get(kind, 0) + 1
                window = int((now - start) // (opts.window_minutes * 60))
                renders_by_window[window] = renders_by_window.get(window, 0) + 1
            if mouse is None and opts.mouse:
                mouse = threading.Thread(target=move_mouse, args=(os.environ['DISPLAY'], stop), daemon=True)
                mouse.start()
            if now >= next_sample:
                samples.append(sample(start, renders, errors))
                next_sample += opts.sample_seconds
                if opts.verbose:
                    print(json.dumps(samples[-1]), flush=True)
        samples.append(sample(start, renders, errors))
    finally:
        stop.set()
        app.close()
    frames = [json.loads(line) for line in frame_log.read_text().splitlines() if line.strip()]
    result = report(opts, samples, frames, renders_by_window, start_wall=time.time() - (time.monotonic() - start))
    result['summary']['render_error_kinds'] = error_kinds
    return result


def report(opts: argparse.Namespace, samples: list[dict], frames: list[dict], renders_by_window: dict[int, int], start_wall: float) -> dict:
    window_s = opts.window_minutes * 60
    windows = []
    # A last window shorter than a tenth of the others (the final sample lands just past a boundary) holds too few frames to
    # mean anything: it joins no table.
    for index in range(max(1, int(np.ceil(samples[-1]['t'] / window_s - 0.1)))):
        lo, hi = index * window_s, (index + 1) * window_s
        in_window = [f for f in frames if lo <= f['t'] - start_wall < hi]
        last = [s for s in samples if s['t'] < hi][-1]
        sampled = [s for s in samples if lo <= s['t'] < hi] or [last]
        windows.append({'files_min': min(s['files'] for s in sampled), 'threads_min': min(s['threads'] for s in sampled), 'from_min': round(lo / 60, 2), 'to_min': round(min(hi, samples[-1]['t']) / 60, 2), 'frames': len(in_window),
            'renders': renders_by_window.get(index, 0),
            'work_p50_ms': percentile_ms([f['work'] for f in in_window], 50), 'work_p95_ms': percentile_ms([f['work'] for f in in_window], 95),
            'interval_p95_ms': percentile_ms([f['interval'] for f in in_window], 95), **{k: last[k] for k in ('rss_mb', 'threads', 'files', 'textures')}})
    warm = [s for s in samples if s['t'] >= opts.warmup_minutes * 60] or samples[-1:]
    rss = [s['rss_mb'] for s in warm]
    summary = {
        'minutes': round(samples[-1]['t'] / 60, 2), 'renders': samples[-1]['renders'], 'render_errors': samples[-1]['render_errors'],
        'rss_after_warmup_mb': {'first': rss[0], 'last': rss[-1], 'max': max(rss), 'growth_pct': round(100 * (max(rss) - rss[0]) / rss[0], 2)},
        **{f'{key}_range': [min(s[key] for s in warm), max(s[key] for s in warm)] for key in ('threads', 'python_threads', 'files', 'textures')},
        'work_p95_ms_by_window': [w['work_p95_ms'] for w in windows],
        # Transient descriptors (a network file being read, the pointer mover's xdotool) come and go between samples: a
        # leak raises the lowest count of a window.
        'files_min_by_window': [w['files_min'] for w in windows], 'threads_min_by_window': [w['threads_min'] for w in windows],
    }
    return {'options': {k: v for k, v in vars(opts).items() if k != 'json'}, 'machine': {'cpus': os.cpu_count(),
        'platform': platform.platform(), 'python': platform.python_version()}, 'summary': summary, 'windows': windows, 'samples': samples}


def print_report(result: dict) -> None:
    s = result['summary']
    print(f'{"window (min)":>14} {"frames":>7} {"renders":>8} {"work p50":>9} {"work p95":>9} {"intvl p95":>10} {"RSS MB":>8} {"threads":>8} {"files":>6} {"textures":>9}')
    for w in result['windows']:
        print(f'{w["from_min"]:>6g} - {w["to_min"]:<5g} {w["frames"]:>7} {w["renders"]:>8} {w["work_p50_ms"]:>7} ms {w["work_p95_ms"]:>6} ms '
            f'{w["interval_p95_ms"]:>7} ms {w["rss_mb"]:>8} {w["threads"]:>8} {w["files"]:>6} {w["textures"]:>9}')
    r = s['rss_after_warmup_mb']
    for kind, count in s.get('render_error_kinds', {}).items():
        print(f'  {count} x error: {kind}')
    print(f'{s["minutes"]} min, {s["renders"]} renders ({s["render_errors"]} with an error message); RSS after warm-up: first {r["first"]} MB, '
        f'last {r["last"]} MB, max {r["max"]} MB, growth {r["growth_pct"]} % (target < 5 %)')
    print(f'threads {s["threads_range"]}, Python threads {s["python_threads_range"]}, open files {s["files_range"]}, '
        f'GL textures {s["textures_range"]} (min-max after warm-up; target: constant); lowest open files per window '
        f'{s["files_min_by_window"]}, threads {s["threads_min_by_window"]}')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--minutes', type=float, default=60.0, help='how long to run (default: 60)')
    parser.add_argument('--networks', default='builtin:sg3-t,builtin:sg3-r,builtin:sg2', help='networks to cycle through, comma-separated')
    parser.add_argument('--mode-seconds', type=float, default=5.0, help='seconds between view switches (default: 5)')
    parser.add_argument('--network-minutes', type=float, default=3.0, help='minutes between network switches (default: 3)')
    parser.add_argument('--window-minutes', type=float, default=10.0, help='report window (default: 10)')
    parser.add_argument('--warmup-minutes', type=float, default=10.0, help='left out of the RSS growth (default: 10)')
    parser.add_argument('--sample-seconds', type=float, default=30.0, help='seconds between samples (default: 30)')
    parser.add_argument('--latent-speed', type=float, default=0.5, help='latent animation, seeds per second (default: 0.5)')
    parser.add_argument('--device', default='cpu', help='render device (default: cpu)')
    parser.add_argument('--fps', type=float, default=60.0, help='GUI frame-rate cap (default: 60)')
    parser.add_argument('--no-mouse', dest='mouse', action='store_false', help='do not move the pointer')
    parser.add_argument('--display', help='an X display to use (default: start an Xvfb)')
    parser.add_argument('--json', help='also write the results here as JSON')
    parser.add_argument('--verbose', action='store_true', help='print every sample')
    opts = parser.parse_args()
    opts.networks = [n.strip() for n in opts.networks.split(',') if n.strip()]

    xvfb = None
    if opts.display:
        os.environ['DISPLAY'] = opts.display
    else:
        xvfb, os.environ['DISPLAY'] = start_xvfb()
    work = pathlib.Path(tempfile.mkdtemp(prefix='bench-soak-'))
    os.environ['SG3_VIZ_CONFIG_DIR'] = str(work / 'config')
    try:
        result = run(opts, work)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
    print_report(result)
    if opts.json:
        pathlib.Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(opts.json).write_text(json.dumps(result, indent=2) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
