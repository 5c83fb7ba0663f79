"""Frame-exact videos of timelines (`VideoCommand`), on the render side. No imgui, no OpenGL, no view core.

Frame i is rendered from the command's request frames[i] by the same function the app renders with
(`Renderer.render`), so its pixels are those the app shows for that state: for content 'image' the generator's
image alone (output layer, no analysis), for 'view' the image area as the renderer composes it (equivariance
panels with their labels and colour bar, spectrum, a layer). Every frame is upscaled by the integer `scale`
(nearest neighbour) and encoded at exactly `fps`:

- 'mp4': H.264 (libx264, yuv420p, constant rate factor = quality): plays everywhere;
- 'mkv': FFV1 in Matroska (RGB, lossless: every decoded frame equals the rendered image);
- 'png': a folder of PNG frames (lossless), frame-00000.png ...;
- 'gif': one palette per frame; delays are whole hundredths of a second, spread so the clock never drifts.

The encoding library is PyAV (FFmpeg's libraries in a binary wheel; nothing from the system, nothing downloaded).
All frames have the size of the first; a frame of another size (a layer switched mid-way) is scaled to fit and
centred on black, and an H.264 frame is padded to even sides.

Files: the video is written to a temporary name beside its target and renamed when complete (`viz.files`); the
target name is reserved first and nothing is ever overwritten (a numbered `video-NNNNN.<format>` in the command's
folder, or the exact path, refused if it exists). The timeline's JSON goes beside it (`<video>.json`; inside the
folder for 'png'). A cancelled or failed render leaves no file behind.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import tempfile
import threading
import time
from typing import BinaryIO, Callable

import numpy as np
from PIL import Image

from viz import files
from viz.render.analysis import CommandJob, SteppedCommand
from viz.protocol import AnalysisArgs, LayerArgs, RenderArgs, RenderResult, VideoCommand

# render(args) -> RenderResult: the app's render path (Renderer.render); 'cancelled' as its error stops the video.
RenderViewFn = Callable[[RenderArgs], RenderResult]
STEM = 'video'                                  # Numbered names: video-00001.mp4, video-00002 (a PNG folder), ...
TIMELINE_NAME = 'timeline.json'                 # The timeline inside a PNG folder.


class VideoError(ValueError):
    """A video that cannot be made as asked (the file exists, a frame failed, no encoder); the message says why."""


class _Cancelled(Exception):
    """The render was cancelled: everything written so far is removed."""


@dataclasses.dataclass(frozen=True)
class VideoStats:
    path: pathlib.Path                          # The video file (or PNG folder) written.
    frames: int
    width: int                                  # Frame size in the file.
    height: int
    render_seconds: float                       # Time spent rendering frames.
    encode_seconds: float                       # Time spent converting, encoding and writing them.
    seconds: float                              # Wall-clock time of the whole render.

    @property
    def encode_share(self) -> float:
        return self.encode_seconds / self.seconds if self.seconds > 0 else 0.0


def frame_request(args: RenderArgs, content: str) -> RenderArgs:
    """The request a frame is rendered from: full precision; for content 'image' the generator's image alone."""
    args = dataclasses.replace(args, performance=dataclasses.replace(args.performance, interacting=False))
    if content == 'image':
        args = dataclasses.replace(args, layer=LayerArgs(), analysis=AnalysisArgs())
    return args


def fit(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """`image` [h, w, 3] in a height x width frame: itself when the sizes agree, else scaled (nearest neighbour, by
    the largest factor <= 1 for larger images, 1 for smaller ones) and placed at the centre of a black frame."""
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return image
    factor = min(1.0, height / h, width / w)
    sh, sw = max(1, int(h * factor)), max(1, int(w * factor))
    if (sh, sw) != (h, w):
        image = image[(np.arange(sh) * h // sh)[:, None], (np.arange(sw) * w // sw)[None, :]]
    frame = np.zeros((height, width, 3), np.uint8)
    top, left = (height - sh) // 2, (width - sw) // 2
    frame[top:top + sh, left:left + sw] = image
    return frame

# ----------------------------------------------------------------------------
# Encoders: add(image) per frame, close() at the end.


class _AvEncoder:
    """mp4 / mkv / gif through PyAV into an open binary file."""
    SETTINGS = {'mp4': ('mp4', 'libx264', 'yuv420p'), 'mkv': ('matroska', 'ffv1', 'bgr0'), 'gif': ('gif', 'gif', 'pal8')}

    def __init__(self, file: BinaryIO, command: VideoCommand, width: int, height: int) -> None:
        try:
            import av
        except ImportError:
            raise VideoError(f'{command.format} videos need PyAV (the "av" package): pip install -r requirements.txt') from None
        self._av = av
        container_format, codec, self._pix_fmt = self.SETTINGS[command.format]
        self._container = av.open(file, mode='w', format=container_format)
        self._stream = self._container.add_stream(codec, rate=command.fps)
        self._stream.width, self._stream.height, self._stream.pix_fmt = width, height, self._pix_fmt
        if command.format == 'mp4':
            self._stream.options = {'crf': str(command.quality), 'preset': 'medium'}
        self._count = 0

    def add(self, image: np.ndarray) -> None:
        if self._pix_fmt == 'pal8':
            frame = self._av.VideoFrame.from_ndarray(_palettized(image), format='pal8')
        else:
            frame = self._av.VideoFrame.from_ndarray(image, format='rgb24')  # encode() converts (faster than reformat here).
        frame.pts = self._count                 # In units of 1 / fps: frame i starts at i / fps exactly.
        self._count += 1
        self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        self._container.mux(self._stream.encode(None))
        self._container.close()

    def abort(self) -> None:
        try:
            self._container.close()
        except Exception:  # The file is removed anyway; a half-written container may refuse to close.
            pass


def _palettized(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A GIF frame: (indices [H, W] uint8, palette [256, 4] ARGB) of the frame's own 256-colour median-cut palette."""
    quantized = Image.fromarray(image).quantize(256, method=Image.Quantize.MEDIANCUT)
    rgb = np.asarray(quantized.getpalette()[:768], np.uint8).reshape(-1, 3)
    palette = np.zeros((256, 4), np.uint8)
    palette[:, 0] = 255
    palette[:len(rgb), 1:] = rgb
    return np.ascontiguousarray(np.asarray(quantized, np.uint8)), palette


class _PngFrames:
    """A folder of frame-NNNNN.png (the folder is a temporary one, renamed when complete)."""

    def __init__(self, folder: pathlib.Path) -> None:
        self._folder = folder
        self._count = 0

    def add(self, image: np.ndarray) -> None:
        Image.fromarray(image).save(self._folder / f'frame-{self._count:05d}.png', compress_level=4)
        self._count += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

# ----------------------------------------------------------------------------
# Rendering.


class _Frames:
    """Renders, sizes and encodes the frames of a command, with progress, cancel and the time spent."""

    def __init__(self, command: VideoCommand, render: RenderViewFn, progress: Callable[[int, int], None] | None,
            cancel: Callable[[], bool] | None) -> None:
        self.command = command
        self._render = render
        self._progress = progress or (lambda done, total: None)
        self._cancel = cancel or (lambda: False)
        self.render_seconds = 0.0
        self.encode_seconds = 0.0
        self.size: tuple[int, int] | None = None  # (height, width) in the file.

    def image(self, index: int) -> np.ndarray:
        """Frame `index` as it goes into the file (the first one fixes the size)."""
        if self._cancel():
            raise _Cancelled()
        start = time.perf_counter()
        result = self._render(frame_request(self.command.frames[index], self.command.content))
        self.render_seconds += time.perf_counter() - start
        if result.error == 'cancelled':
            raise _Cancelled()
        if result.error is not None or result.image is None:
            raise VideoError(f'frame {index} of {len(self.command.frames)} could not be rendered: {result.error or "no image"}')
        image = result.image
        if self.command.scale > 1:
            image = image.repeat(self.command.scale, axis=0).repeat(self.command.scale, axis=1)
        if self.size is None:
            even = self.command.format == 'mp4'   # yuv420p needs even sides.
            self.size = (image.shape[0] + (image.shape[0] % 2 if even else 0), image.shape[1] + (image.shape[1] % 2 if even else 0))
        return fit(image, *self.size)

    def encode(self, make_encoder: Callable[[int, int], object]) -> None:
        """Render every frame into the encoder made for the first frame's size; the encoder's time counts as encoding."""
        total = len(self.command.frames)
        first = self.image(0)
        encoder = make_encoder(self.size[1], self.size[0])
        try:
            for index in range(total):
                image = first if index == 0 else self.image(index)
                start = time.perf_counter()
                encoder.add(image)
                self.encode_seconds += time.perf_counter() - start
                self._progress(index + 1, total)
            start = time.perf_counter()
            encoder.close()
            self.encode_seconds += time.perf_counter() - start
        except BaseException:
            encoder.abort()
            raise


def write_video(
    command:  VideoCommand,                     # What to render and where.
    render:   RenderViewFn,                     # The app's render function (Renderer.render).
    progress: Callable[[int, int], None] | None = None,  # progress(frames done, total) after each frame.
    cancel:   Callable[[], bool] | None = None, # Polled before each frame; True stops the render.
) -> VideoStats | None:
    """Render and encode every frame, then write the timeline beside the video. Returns the stats, or None when
    cancelled; raises VideoError when the video cannot be made. Either way nothing partial is left."""
    start = time.perf_counter()
    frames = _Frames(command, render, progress, cancel)
    try:
        if command.format == 'png':
            path = _write_png_folder(command, frames)
        else:
            path = _write_file(command, frames)
    except _Cancelled:
        return None
    except OSError as e:
        raise VideoError(f'could not write the video: {e.strerror or e} ({getattr(e, "filename", None) or command.describe()})') from e
    assert frames.size is not None, 'a finished video has a frame size'
    return VideoStats(path=path, frames=len(command.frames), width=frames.size[1], height=frames.size[0],
        render_seconds=frames.render_seconds, encode_seconds=frames.encode_seconds, seconds=time.perf_counter() - start)


def _write_file(command: VideoCommand, frames: _Frames) -> pathlib.Path:
    path, beside = _reserve_file(command)
    try:
        def encode(f: BinaryIO) -> None:
            frames.encode(lambda width, height: _AvEncoder(f, command, width, height))
        files.atomic_write(path, encode)
        if beside is not None:
            text = command.timeline.encode('utf-8')
            files.atomic_write(beside, lambda f: f.write(text))
    except BaseException:                       # The reserved names, or the video already in place.
        for reserved in (path, beside):
            if reserved is not None:
                reserved.unlink(missing_ok=True)
        raise
    return path


def _write_png_folder(command: VideoCommand, frames: _Frames) -> pathlib.Path:
    final = _reserve_folder(command)
    temporary = pathlib.Path(tempfile.mkdtemp(prefix=f'.{final.name}.', suffix='.tmp', dir=final.parent))
    try:
        frames.encode(lambda width, height: _PngFrames(temporary))
        if command.timeline:
            (temporary / TIMELINE_NAME).write_text(command.timeline, encoding='utf-8')
        os.replace(temporary, final)            # Onto the empty reserved folder.
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        try:
            final.rmdir()
        except OSError:
            pass
        raise
    return final


def _reserve_file(command: VideoCommand) -> tuple[pathlib.Path, pathlib.Path | None]:
    """Reserve (create empty, exclusively) the video's name and its timeline's `<video>.json`."""
    if command.path is not None:
        path = pathlib.Path(command.path).expanduser()
        beside = path.with_name(path.name + '.json') if command.timeline else None
        for target in (path, beside):
            if target is not None and target.exists():
                raise VideoError(f'{target} exists; nothing is overwritten: choose another name or move it away')
        if not path.parent.is_dir():
            raise VideoError(f'cannot write {path}: the folder {path.parent} does not exist')
        _create(path)
        if beside is not None:
            try:
                _create(beside)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        return path, beside
    skipped = []
    try:
        while True:
            path = files.numbered_path(command.folder, STEM, command.format)
            beside = path.with_name(path.name + '.json')
            try:
                if command.timeline:
                    _create(beside)
                return path, (beside if command.timeline else None)
            except VideoError:                  # A stray timeline of that name: take the next number.
                skipped.append(path)
    finally:
        for path in skipped:
            path.unlink(missing_ok=True)


def _create(path: pathlib.Path) -> None:
    try:
        with open(path, 'xb'):
            pass
    except FileExistsError:
        raise VideoError(f'{path} exists; nothing is overwritten: choose another name or move it away') from None


def _reserve_folder(command: VideoCommand) -> pathlib.Path:
    """Reserve (create empty, exclusively) the PNG folder: the exact path or the next video-NNNNN."""
    if command.path is not None:
        path = pathlib.Path(command.path).expanduser()
        if not path.parent.is_dir():
            raise VideoError(f'cannot write {path}: the folder {path.parent} does not exist')
        try:
            path.mkdir()
        except FileExistsError:
            raise VideoError(f'{path} exists; nothing is overwritten: choose another name or move it away') from None
        return path
    return files.numbered_path(command.folder, STEM, '', directory=True)

# ----------------------------------------------------------------------------
# The command job.


def start_video(command: VideoCommand, render: Callable[[RenderArgs, threading.Event], RenderResult],
        cancel: threading.Event) -> CommandJob:
    """The RenderWorker job of a VideoCommand: one frame per step, live renders in between; the final status carries
    the path written. `render(args, cancel)` is the renderer's own render."""
    work = lambda progress, stop: write_video(command, lambda view: render(view, cancel), progress, stop)
    outcome = lambda stats, state: {'path': str(stats.path)} if stats is not None else {}
    return SteppedCommand(command, len(command.frames), work, outcome)


def describe_stats(stats: VideoStats) -> str:
    """One line for logs and the command line."""
    return (f'{stats.path}: {stats.frames} frames {stats.width}x{stats.height} in {stats.seconds:.1f} s '
        f'({stats.frames / max(stats.seconds, 1e-9):.1f} fps; rendering {stats.render_seconds:.1f} s, '
        f'encoding {stats.encode_seconds:.1f} s = {100 * stats.encode_share:.1f} %)')


def timeline_of(video: str | os.PathLike) -> pathlib.Path:
    """Where the timeline of a video written here is (`<video>.json`, or timeline.json in a PNG folder)."""
    path = pathlib.Path(video)
    return path / TIMELINE_NAME if path.is_dir() else path.with_name(path.name + '.json')
