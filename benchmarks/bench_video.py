"""Offline video render speed: a seed loop of builtin:sg3-t (256 px) at 30 fps for 10 s (300 frames), rendered
frame-exact by the app's path (`viz.core.timeline.frame_args` -> `Renderer.render` -> `viz.render.video`) into an
H.264 MP4 in a temporary folder. Prints frames per second of the whole render and the share of the time spent
encoding (converting, encoding and writing). Target: encoding under 10 % of the total.

With --compare it then encodes the same 300 rendered frames again with each encoding library alone: PyAV (what
the app uses) and imageio-ffmpeg (when installed), same codec and settings, best of --repeats.

    .venv/bin/python benchmarks/bench_video.py [--device cpu] [--threads N] [--format mp4] [--compare] [--repeats 3]
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch

from viz.core.controller import Facts
from viz.core.timeline import compose, frame_args, seed_loop
from viz.protocol import VideoCommand
from viz.render.renderer import Renderer
from viz.render.video import describe_stats, frame_request, write_video

SECONDS, FPS, SEEDS = 10.0, 30, (0, 1, 2, 3, 4)


def encode_pyav(frames: list[np.ndarray], path: str, quality: int) -> None:
    import av
    with av.open(path, 'w', format='mp4') as container:
        stream = container.add_stream('libx264', rate=FPS)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], 'yuv420p'
        stream.options = {'crf': str(quality), 'preset': 'medium'}
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format='rgb24')
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def encode_imageio(frames: list[np.ndarray], path: str, quality: int) -> None:
    import imageio_ffmpeg
    writer = imageio_ffmpeg.write_frames(path, (frames[0].shape[1], frames[0].shape[0]), fps=FPS, codec='libx264',
        pix_fmt_out='yuv420p', output_params=['-crf', str(quality), '-preset', 'medium'], macro_block_size=1)
    writer.send(None)
    for image in frames:
        writer.send(image)
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    parser.add_argument('--format', default='mp4', choices=('mp4', 'mkv', 'png', 'gif'))
    parser.add_argument('--compare', action='store_true', help='also time PyAV and imageio-ffmpeg encoding alone')
    parser.add_argument('--repeats', type=int, default=3)
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)
    timeline = seed_loop(list(SEEDS), SECONDS / len(SEEDS), {'controllers': {'performance': {'device': options.device}}})
    renderer = Renderer()
    first = renderer.render(compose(timeline.sample(0.0)))        # Loads the network (not timed) and gives the facts.
    assert first.error is None, first.error
    frames = frame_args(timeline, FPS, Facts(result=first))
    command = VideoCommand(frames=frames, fps=FPS, format=options.format, folder=tempfile.mkdtemp(prefix='bench-video-'),
        timeline=timeline.to_json())
    print(f'builtin:sg3-t {first.image.shape[1]}x{first.image.shape[0]} on {options.device}, torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads; {len(frames)} frames at {FPS} fps ({SECONDS:g} s), {options.format}')
    stats = write_video(command, renderer.render)
    print(describe_stats(stats))
    print(f'render: {stats.frames / stats.seconds:.1f} frames per second; encoding {100 * stats.encode_share:.1f} % of the total '
        f'(target < 10 %); file {stats.path.stat().st_size / 1e6:.2f} MB' if stats.path.is_file() else '')
    if not options.compare:
        return
    images = [renderer.render(frame_request(args, 'image')).image for args in frames]
    folder = pathlib.Path(command.folder)
    for name, encode in (('PyAV', encode_pyav), ('imageio-ffmpeg', encode_imageio)):
        try:
            times = []
            for repeat in range(options.repeats):
                start = time.perf_counter()
                encode(images, str(folder / f'{name}-{repeat}.mp4'), command.quality)
                times.append(time.perf_counter() - start)
        except ImportError as e:
            print(f'{name}: not installed ({e})')
            continue
        best = min(times)
        print(f'{name}: {len(images) / best:.0f} frames per second encoding alone ({1000 * best / len(images):.2f} ms a frame, best of '
            f'{options.repeats}), {(folder / f"{name}-0.mp4").stat().st_size / 1e6:.2f} MB')


if __name__ == '__main__':
    main()
