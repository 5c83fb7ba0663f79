"""Videos of timelines (issue 11): every format decoded again (lossless: each frame equals the renderer's image for
its state exactly; H.264: each frame within 40 dB PSNR of it; GIF: every frame, with delays that add up), frame count
and fps exact, the timeline written beside the video re-renders it, numbered names and never overwriting, a
cancelled or failed render leaves no file, the render as a worker command (progress, cancel, live renders in
between), and the renderer's W blend (LatentArgs.blend)."""

from __future__ import annotations

import dataclasses
import json
import threading

import av
import numpy as np
import pytest
from PIL import Image

from tests.viz.render.test_analysis import Loader
from tests.viz.render.test_commands import collect
from viz.core.controller import Facts
from viz.core.timeline import Timeline, compose, frame_args, make_keyframe, read_timeline, seed_loop
from viz.protocol import (AnalysisArgs, LatentArgs, NetworkArgs, PerformanceArgs, RenderArgs, VideoCommand)
from viz.render.renderer import Renderer
from viz.render.video import VideoError, fit, frame_request, timeline_of, write_video
from viz.render.worker import RenderWorker

pytestmark = pytest.mark.usefixtures('one_thread')
FPS = 24


@pytest.fixture(scope='module')
def builtin():
    """The app's renderer with the built-in 256 px StyleGAN3-T (the default loader), and a 12-frame seed loop."""
    renderer = Renderer()
    timeline = seed_loop([0, 1, 2], 1 / 6, {'controllers': {'performance': {'device': 'cpu'}}})
    first = renderer.render(compose(timeline.sample(0.0)))
    assert first.error is None, first.error
    return renderer, timeline, frame_args(timeline, FPS, Facts(result=first))


@pytest.fixture(scope='module')
def tiny():
    """A renderer of 16 px test networks."""
    return Renderer(load_fn=Loader())


def tiny_timeline(**controllers) -> Timeline:
    base = {'network': {'source': 'tiny:sg3'}, 'performance': {'device': 'cpu'}, **controllers}
    keys = tuple(make_keyframe(float(i), {'controllers': {**base, 'latent': {'x': float(3 * i)}, 'transform': {'angle_deg': 40.0 * i}}})
        for i in range(3))
    return Timeline(keyframes=keys, easing='catmull-rom', latent='linear', loop=True, duration=3.0)


def decode(path) -> tuple[list[np.ndarray], object, list[float]]:
    """Decoded RGB frames, the stream's average rate and every frame's time in seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames, times = [], []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format='rgb24'))
            times.append(float(frame.pts * frame.time_base))
        return frames, stream.average_rate, times


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float('inf') if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def expected(renderer: Renderer, frames, content: str = 'image', scale: int = 1) -> list[np.ndarray]:
    """What the app shows for each frame's state."""
    images = [renderer.render(frame_request(args, content)).image for args in frames]
    return [image.repeat(scale, 0).repeat(scale, 1) for image in images]


def listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())

# ----------------------------------------------------------------------------
# Formats.


def test_lossless_mkv_equals_the_renderer_frame_for_frame(builtin, tmp_path):
    renderer, timeline, frames = builtin
    command = VideoCommand(frames=frames, fps=FPS, format='mkv', folder=str(tmp_path), timeline=timeline.to_json())
    stats = write_video(command, renderer.render)
    assert stats.path == tmp_path / 'video-00001.mkv' and (stats.frames, stats.width, stats.height) == (12, 256, 256)
    decoded, rate, times = decode(stats.path)
    assert len(decoded) == len(frames) == 12 and rate == FPS
    assert times == pytest.approx([i / FPS for i in range(12)], abs=1e-3)      # Matroska keeps milliseconds.
    for image, reference in zip(decoded, expected(renderer, frames)):
        assert np.array_equal(image, reference)
    # The timeline beside the video renders the same frames again.
    assert timeline_of(stats.path) == tmp_path / 'video-00001.mkv.json'
    again = read_timeline(timeline_of(stats.path))
    assert again == timeline and frame_args(again, FPS, Facts(result=renderer.render(frames[0]))) == frames
    assert listing(tmp_path) == ['video-00001.mkv', 'video-00001.mkv.json']


def test_h264_mp4_is_within_40_db_and_frame_exact(builtin, tmp_path):
    renderer, timeline, frames = builtin
    stats = write_video(VideoCommand(frames=frames, fps=FPS, format='mp4', folder=str(tmp_path)), renderer.render)
    decoded, rate, times = decode(stats.path)
    assert len(decoded) == 12 and rate == FPS and times == pytest.approx([i / FPS for i in range(12)], abs=1e-6)
    with av.open(str(stats.path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ('h264', 'yuv420p') and stream.frames == 12
    values = [psnr(a, b) for a, b in zip(decoded, expected(renderer, frames))]
    assert min(values) >= 40.0, values
    assert listing(tmp_path) == ['video-00001.mp4']                             # No timeline text given: none written.


def test_png_frames_with_an_integer_upscale(builtin, tmp_path):
    renderer, timeline, frames = builtin
    command = VideoCommand(frames=frames[:4], fps=FPS, format='png', scale=2, folder=str(tmp_path), timeline=timeline.to_json())
    stats = write_video(command, renderer.render)
    assert stats.path == tmp_path / 'video-00001' and (stats.width, stats.height) == (512, 512)
    assert listing(stats.path) == ['frame-00000.png', 'frame-00001.png', 'frame-00002.png', 'frame-00003.png', 'timeline.json']
    for i, reference in enumerate(expected(renderer, frames[:4], scale=2)):
        assert np.array_equal(np.asarray(Image.open(stats.path / f'frame-{i:05d}.png')), reference)
    assert read_timeline(timeline_of(stats.path)) == timeline
    assert write_video(command, renderer.render).path == tmp_path / 'video-00002'
    assert listing(tmp_path) == ['video-00001', 'video-00002']


def test_gif_keeps_every_frame_and_the_clock(builtin, tmp_path):
    renderer, _timeline, frames = builtin
    stats = write_video(VideoCommand(frames=frames, fps=30, format='gif', folder=str(tmp_path)), renderer.render)
    with Image.open(stats.path) as gif:
        assert gif.n_frames == 12
        delays = []
        for i in range(gif.n_frames):
            gif.seek(i)
            delays.append(gif.info['duration'])
    assert set(delays) <= {30, 40} and sum(delays) == pytest.approx(12 * 1000 / 30, abs=10)  # Hundredths, spread evenly.
    decoded, _rate, _times = decode(stats.path)
    assert all(psnr(a, b) > 25 for a, b in zip(decoded, expected(renderer, frames)))
    with pytest.raises(ValueError, match='fps'):
        VideoCommand(frames=frames, fps=60, format='gif')


def test_the_view_as_composed_with_heatmap_panels(tiny, tmp_path):
    timeline = tiny_timeline(analysis={'eq_mode': 'eqr'})
    frames = frame_args(timeline, 4)
    command = VideoCommand(frames=frames, fps=4, format='mkv', content='view', folder=str(tmp_path))
    stats = write_video(command, tiny.render)
    composed = expected(tiny, frames, 'view')
    assert composed[0].shape[1] > 3 * 16                                       # Reference | generated | error, labels, colour bar.
    decoded, _rate, _times = decode(stats.path)
    assert len(decoded) == 12 and all(np.array_equal(a, b) for a, b in zip(decoded, composed) if a.shape == b.shape)
    assert all(np.array_equal(a, fit(b, *a.shape[:2])) for a, b in zip(decoded, composed))  # The labels' width varies.
    image_only = write_video(dataclasses.replace(command, content='image'), tiny.render)
    assert (image_only.width, image_only.height) == (16, 16)


def test_frames_of_another_size_are_fitted(tiny, tmp_path):
    frames = frame_args(tiny_timeline(), 2)[:3]
    frames = (frames[0], dataclasses.replace(frames[1], analysis=AnalysisArgs(eq_mode='eqt')), frames[2])
    stats = write_video(VideoCommand(frames=frames, fps=2, format='mkv', content='view', folder=str(tmp_path)), tiny.render)
    decoded, _rate, _times = decode(stats.path)
    assert [d.shape for d in decoded] == [(16, 16, 3)] * 3
    wide = tiny.render(frames[1]).image
    assert np.array_equal(decoded[1], fit(wide, 16, 16))


def test_fit():
    image = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    assert fit(image, 4, 6) is image
    padded = fit(image, 6, 6)
    assert np.array_equal(padded[1:5], image) and not padded[0].any() and not padded[5].any()
    half = fit(image, 2, 3)
    assert np.array_equal(half, image[::2, ::2])
    odd = fit(image[:3], 4, 6)                                                   # H.264 pads odd sides.
    assert np.array_equal(odd[:3], image[:3]) and not odd[3].any()

# ----------------------------------------------------------------------------
# Files: names, no overwriting, nothing left behind.


def test_names_are_numbered_and_nothing_is_overwritten(tiny, tmp_path):
    frames = frame_args(tiny_timeline(), 1)
    command = VideoCommand(frames=frames, fps=1, format='mp4', folder=str(tmp_path), timeline='{}')
    assert write_video(command, tiny.render).path.name == 'video-00001.mp4'
    (tmp_path / 'video-00002.mp4.json').write_text('stray')                     # A stray timeline skips that number.
    assert write_video(command, tiny.render).path.name == 'video-00003.mp4'
    assert listing(tmp_path) == ['video-00001.mp4', 'video-00001.mp4.json', 'video-00002.mp4.json', 'video-00003.mp4',
        'video-00003.mp4.json']
    before = (tmp_path / 'video-00001.mp4').read_bytes()
    exact = dataclasses.replace(command, path=str(tmp_path / 'video-00001.mp4'))
    with pytest.raises(VideoError, match='exists; nothing is overwritten'):
        write_video(exact, tiny.render)
    assert (tmp_path / 'video-00001.mp4').read_bytes() == before
    with pytest.raises(VideoError, match='video-00002.mp4.json exists'):
        write_video(dataclasses.replace(command, path=str(tmp_path / 'video-00002.mp4')), tiny.render)
    with pytest.raises(VideoError, match='does not exist'):
        write_video(dataclasses.replace(command, path=str(tmp_path / 'no' / 'a.mp4')), tiny.render)
    with pytest.raises(ValueError, match='ending in .mp4'):
        dataclasses.replace(command, path=str(tmp_path / 'a.gif'))
    named = write_video(dataclasses.replace(command, path=str(tmp_path / 'demo.mp4')), tiny.render)
    assert named.path == tmp_path / 'demo.mp4' and (tmp_path / 'demo.mp4.json').read_text() == '{}'


@pytest.mark.parametrize('format', ['mp4', 'png'])
def test_a_failed_or_cancelled_render_leaves_no_file(tiny, tmp_path, format):
    frames = frame_args(tiny_timeline(), 2)
    broken = frames[:2] + (dataclasses.replace(frames[2], network=NetworkArgs('tiny:missing')),) + frames[3:]
    command = VideoCommand(frames=broken, fps=2, format=format, folder=str(tmp_path), timeline='{}')
    with pytest.raises(VideoError, match='frame 2 of 6 could not be rendered'):
        write_video(command, tiny.render)
    assert listing(tmp_path) == []
    polls = []
    cancelled = write_video(dataclasses.replace(command, frames=frames), tiny.render, cancel=lambda: polls.append(1) or len(polls) > 3)
    assert cancelled is None and listing(tmp_path) == []
    with pytest.raises(KeyboardInterrupt):                                       # Ctrl-C on the command line.
        write_video(dataclasses.replace(command, frames=frames), tiny.render, progress=lambda done, total: (_ for _ in ()).throw(
            KeyboardInterrupt()) if done == 2 else None)
    assert listing(tmp_path) == []

# ----------------------------------------------------------------------------
# The worker command.


def test_the_worker_renders_videos_in_the_background(tmp_path):
    loader = Loader()
    with RenderWorker(Renderer(load_fn=loader)) as worker:
        frames = frame_args(tiny_timeline(), 10)
        command = VideoCommand(frames=frames, fps=10, format='mkv', folder=str(tmp_path), timeline='{"a": 1}')
        command_id = worker.start(command, RenderArgs())
        seen = collect(worker, lambda s: any(x.state == 'running' and x.done >= 2 for x in s))
        stamp = worker.submit(frames[0])                                          # A live render in between.
        seen += collect(worker, lambda s: s and s[-1].finished)
        result = worker.wait(30)
        assert result is not None and result.stamp == stamp and result.error is None
        done = seen[-1]
        assert (done.command_id, done.kind, done.state, done.done, done.total) == (command_id, 'video', 'done', 30, 30)
        assert done.path == str(tmp_path / 'video-00001.mkv') and json.loads((tmp_path / 'video-00001.mkv.json').read_text()) == {'a': 1}
        dones = [s.done for s in seen if s.state == 'running']
        assert dones == sorted(dones) and len(set(dones)) > 3
        assert any(s.seconds_left is not None for s in seen if s.state == 'running')
        # Cancelled: no file.
        long = dataclasses.replace(command, frames=frames * 20)
        cancel_id = worker.start(long, RenderArgs())
        collect(worker, lambda s: any(x.command_id == cancel_id and x.done >= 1 for x in s))
        worker.cancel(cancel_id)
        final = collect(worker, lambda s: any(x.command_id == cancel_id and x.finished for x in s))[-1]
        assert final.state == 'cancelled' and final.done < 600
        assert listing(tmp_path) == ['video-00001.mkv', 'video-00001.mkv.json']
        # A failing frame: the command fails, saying which.
        failing = dataclasses.replace(command, frames=(frames[0], dataclasses.replace(frames[1], network=NetworkArgs('tiny:nope'))))
        fail_id = worker.start(failing, RenderArgs())
        final = collect(worker, lambda s: any(x.command_id == fail_id and x.finished for x in s))[-1]
        assert final.state == 'failed' and 'frame 1 of 2' in final.error
        assert listing(tmp_path) == ['video-00001.mkv', 'video-00001.mkv.json']


def test_closing_the_worker_mid_video_leaves_no_file(tmp_path):
    worker = RenderWorker(Renderer(load_fn=Loader()))
    frames = frame_args(tiny_timeline(), 10) * 30
    worker.start(VideoCommand(frames=frames, fps=10, format='mp4', folder=str(tmp_path)), RenderArgs())
    collect(worker, lambda s: any(x.done >= 1 for x in s))
    worker.close(timeout=30)
    assert not [t for t in threading.enumerate() if t.name == 'command-video' and t.is_alive()]
    assert listing(tmp_path) == []

# ----------------------------------------------------------------------------
# The W blend of timelines.


def test_w_blends(tiny):
    def image(**latent) -> np.ndarray:
        result = tiny.render(RenderArgs(network=NetworkArgs('tiny:sg3'), performance=PerformanceArgs(device='cpu'),
            latent=LatentArgs(**latent)))
        assert result.error is None, result.error
        return result.image
    assert np.array_equal(image(x=0.0, blend=((1.0, 0.0, 0.5),)), image(x=0.5))           # Lerp = the fractional-seed blend here.
    assert np.array_equal(image(x=2.0, blend=((5.0, 0.0, 1.0),)), image(x=5.0))
    assert np.array_equal(image(x=2.0, blend=((5.0, 0.0, 0.0),)), image(x=2.0))
    near = lambda a, b: np.abs(a.astype(int) - b).max() <= 1
    assert near(image(x=2.0, blend=((5.0, 0.0, 0.0),), blend_mode='slerp'), image(x=2.0))
    assert near(image(x=2.0, blend=((5.0, 0.0, 1.0),), blend_mode='slerp'), image(x=5.0))
    assert not np.array_equal(image(x=2.0, blend=((5.0, 0.0, 0.5),), blend_mode='slerp'), image(x=2.0, blend=((5.0, 0.0, 0.5),)))
    catmull_rom = image(x=1.0, blend=((0.0, 0.0, -0.0625), (2.0, 0.0, 0.5625), (3.0, 0.0, -0.0625)))
    assert catmull_rom.shape == (16, 16, 3)
    with pytest.raises(ValueError, match='exactly one'):
        LatentArgs(blend=((1.0, 0.0, 0.5), (2.0, 0.0, 0.2)), blend_mode='slerp')
    with pytest.raises(ValueError, match='LatentArgs.blend'):
        LatentArgs(blend=((1.0, 0.0),))
    assert RenderArgs.from_dict(json.loads(json.dumps(RenderArgs(latent=LatentArgs(blend=((1, 2, 0.5),))).to_dict()))).latent.blend == \
        ((1.0, 2.0, 0.5),)
