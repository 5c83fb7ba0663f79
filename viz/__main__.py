"""Command line of the app's headless tools (no window, no display):

    python -m viz render TIMELINE.json -o demo.mp4 --fps 30 [--format mp4|mkv|png|gif] [--scale N] [--quality CRF]
                                                   [--content image|view] [--device DEV]
    python -m viz seed-loop 1,2,3 --seconds 2 -o loop.json [--network SOURCE] [--psi PSI] [--easing E] [--latent L]

`render` makes the same frames as the app's "Render video" for the same timeline: the timeline's request for
every frame time (viz.core.timeline.frame_args), rendered by the app's Renderer with the app's CPU thread policy
(torch's CPU results can differ in the last bit with the thread count) and written by viz.render.video (temporary
name, renamed when complete; nothing overwritten; the timeline's JSON beside the video). Ctrl-C stops it and
leaves no file. `seed-loop` writes the common demo timeline (seeds a, b, c, ... N seconds each, looped).
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
import time
from typing import Callable, TextIO

from viz.core.controller import Facts
from viz.core.timeline import EASINGS, LATENT_MODES, Timeline, TimelineError, compose, frame_args, read_timeline, seed_loop, \
    write_timeline
from viz.protocol import H264_CRF, VIDEO_CONTENTS, VIDEO_FORMATS, RenderArgs, VideoCommand

SUFFIX_FORMATS = {'.mp4': 'mp4', '.mkv': 'mkv', '.gif': 'gif'}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m viz', description='Headless tools of the sg3-viz app.')
    commands = parser.add_subparsers(dest='command', required=True)
    render = commands.add_parser('render', help='render a timeline into a video, frame-exact, without a window',
        description='Render a timeline (a JSON file the app saves) into a video, frame-exact, without a window.')
    render.add_argument('timeline', help='timeline JSON file (the app saves one beside every video it renders)')
    render.add_argument('-o', '--output', help='video file, or folder for --format png; refused if it exists '
        '(default: the next video-NNNNN in the current folder)')
    render.add_argument('--fps', type=int, default=30, help='frames per second, e.g. 24, 30, 60 (default 30)')
    render.add_argument('--format', choices=VIDEO_FORMATS, help='mp4 (H.264), mkv (lossless FFV1), png (a folder of frames) '
        'or gif (default: from the output name, else mp4)')
    render.add_argument('--scale', type=int, default=1, help='integer upscale of every frame, nearest neighbour (default 1)')
    render.add_argument('--quality', type=int, default=18, help=f'mp4: x264 constant rate factor, {H264_CRF[0]} (best) to '
        f'{H264_CRF[1]} (worst); default 18')
    render.add_argument('--content', choices=VIDEO_CONTENTS, default='image', help="'image': the generator's image alone "
        "(default); 'view': the image area as the app composes it (heatmaps, spectrum, layers)")
    render.add_argument('--device', help="render device for every frame (auto, cpu, cuda, cuda:N, mps); default: the timeline's")
    render.add_argument('--threads', type=int, help="torch CPU threads (default: the app's, all cores but one: CPU results can "
        'differ in the last bit with the thread count)')
    render.add_argument('--quiet', action='store_true', help='no progress bar')
    loop = commands.add_parser('seed-loop', help='write a looped timeline through seeds a, b, c, ...',
        description='Write a looped timeline through seeds a, b, c, ..., N seconds each (like NVIDIA\'s gen_video.py).')
    loop.add_argument('seeds', help='seeds separated by commas, e.g. 0,1,2,3')
    loop.add_argument('-o', '--output', required=True, help='timeline JSON file to write')
    loop.add_argument('--seconds', type=float, default=2.0, help='seconds from one seed to the next (default 2)')
    loop.add_argument('--network', default='builtin:sg3-t', help='network: file, URL or builtin:NAME (default builtin:sg3-t)')
    loop.add_argument('--psi', type=float, default=1.0, help='truncation psi (default 1)')
    loop.add_argument('--easing', choices=EASINGS, default='catmull-rom', help='default catmull-rom')
    loop.add_argument('--latent', choices=LATENT_MODES, default='linear', help='how W moves between seeds (default linear)')
    return parser.parse_args(argv)


class ProgressBar:
    """Frames done, rate and time left on a stream: one updating line on a terminal, a line per 10 % elsewhere."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._shown = (-1.0, -1)                # (clock, tenth) of the last line.
        self._tty = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        now, tenth = self._clock(), done * 10 // max(total, 1)
        if done < total and (now - self._shown[0] < 0.2 if self._tty else tenth == self._shown[1]):
            return
        self._shown = (now, tenth)
        elapsed = now - self._start
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        bar = '#' * (30 * done // max(total, 1))
        line = f'[{bar:<30}] {done}/{total} frames, {rate:.1f} fps, {int(left) // 60}:{int(left) % 60:02d} left'
        self._stream.write(('\r' + line + ('\n' if done == total else '')) if self._tty else line + '\n')
        self._stream.flush()


def video_format(output: str | None, chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    if output is None:
        return 'mp4'
    suffix = pathlib.Path(output).suffix.lower()
    return SUFFIX_FORMATS.get(suffix, 'png' if not suffix else 'mp4')


def with_device(args: RenderArgs, device: str | None) -> RenderArgs:
    return args if device is None else dataclasses.replace(args, performance=dataclasses.replace(args.performance, device=device))


def render_command(timeline: Timeline, options: argparse.Namespace, render: Callable[[RenderArgs], 'object']) -> VideoCommand:
    """The VideoCommand the app would start for this timeline: frames composed with the facts of the rendered network
    (the first frame is rendered once for them)."""
    first = with_device(compose(timeline.sample(timeline.frame_times(options.fps)[0])), options.device)
    result = render(first)
    if getattr(result, 'error', None) is not None:
        raise SystemExit(f'error: the first frame could not be rendered: {result.error}')
    frames = tuple(with_device(args, options.device) for args in frame_args(timeline, options.fps, Facts(result=result)))
    return VideoCommand(frames=frames, fps=options.fps, format=video_format(options.output, options.format), scale=options.scale,
        quality=options.quality, content=options.content, folder='.', path=options.output, timeline=timeline.to_json())


def run_render(options: argparse.Namespace) -> int:
    try:
        timeline = read_timeline(options.timeline)
        if not timeline.keyframes:
            raise TimelineError(f'timeline file {options.timeline!r} has no keyframes: nothing to render')
        timeline.frame_times(options.fps)
    except TimelineError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    import torch                                  # Imported only once the arguments are good.
    from viz.render.renderer import Renderer
    from viz.render.threads import leave_a_core_for_the_gui
    from viz.render.video import VideoError, describe_stats, write_video
    if options.threads is not None:
        torch.set_num_threads(max(1, options.threads))
    else:
        leave_a_core_for_the_gui()                # As the app does: the same pixels as its renders.
    renderer = Renderer()
    try:
        command = render_command(timeline, options, renderer.render)
        stats = write_video(command, renderer.render, progress=None if options.quiet else ProgressBar(sys.stderr))
    except (ValueError, VideoError) as e:
        print(f'\nerror: {e}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('\ncancelled: no file was left', file=sys.stderr)
        return 130
    assert stats is not None, 'write_video returns None only when cancelled'
    print(describe_stats(stats))
    return 0


def run_seed_loop(options: argparse.Namespace) -> int:
    try:
        seeds = [int(s) for s in options.seeds.replace(',', ' ').split()]
    except ValueError:
        print(f'error: seeds {options.seeds!r}: expected integers separated by commas', file=sys.stderr)
        return 2
    state = {'controllers': {'network': {'source': options.network}, 'trunc_noise': {'psi': options.psi}}}
    try:
        timeline = seed_loop(seeds, options.seconds, state, easing=options.easing, latent=options.latent)
        path = write_timeline(options.output, timeline)
    except TimelineError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'{path}: {len(seeds)} seeds, {options.seconds:g} s each, {timeline.duration:g} s looped')
    return 0


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    return run_render(options) if options.command == 'render' else run_seed_loop(options)


if __name__ == '__main__':
    sys.exit(main())
