"""Every file the app reads, fuzzed (seeded, tests/reliability/mutate.py): session files, timeline files, the
settings file and the request in a capture's PNG text. A bad file is refused with an error that names the file
(and, for a bad value, the field) and changes nothing; a file that is accepted leaves a valid request, survives a
save and load unchanged, and every view of the pane draws it. Never an unexpected exception, never a hang.
Latent and direction files (.npy / .npz) too: seeded mutations of their arrays, archives and bytes, read directly, dropped on
the app, loaded and imported, and rendered; FIFOs, folders, devices, zip bombs and pickled objects refused unread.

Longer runs: SG3_FUZZ_SCALE=20 multiplies the cases; SG3_FUZZ_SEED=N shifts the seeds (a finding names its case).
"""

from __future__ import annotations

import json
import os
import pathlib
import time

import numpy as np
import pytest

from tests.reliability import mutate
from tests.reliability.common import Loader
from tests.viz.fakes import FakeWorker
from tests.viz.imgui.harness import Harness
from viz.core import capture, settings as settings_mod, timeline as timeline_mod
from viz.core.view_core import ViewCore
from viz.imgui.views import VIEW_CLASSES
from viz.render.renderer import Renderer

pytestmark = pytest.mark.usefixtures('one_thread')

SECONDS_PER_CASE = 2.0                          # A case slower than this counts as a hang.
SCALE = int(os.environ.get('SG3_FUZZ_SCALE', '1'))
SEED = int(os.environ.get('SG3_FUZZ_SEED', '0'))


class Problems:
    """Collects what went wrong over all cases, so one run reports every finding."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, case: str, what: str) -> None:
        if not ok:
            self.items.append(f'{case[:120]}: {what[:300]}')

    def assert_none(self) -> None:
        assert not self.items, f'{len(self.items)} problem(s):\n' + '\n'.join(self.items[:40])


def field_named(path: tuple | None, text: str) -> bool:
    """Does the message name the mutated field (the innermost key on its path)?"""
    keys = [k for k in path if isinstance(k, str)] if path else []
    return not keys or keys[-1] in text


@pytest.fixture(scope='module')
def loader():
    return Loader()


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Relative paths in the fuzzed files (capture folders, browse folders) point into the test's folder."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def harness(tmp_path, loader):
    """A view core whose worker renders the tiny networks synchronously, with every view drawn each frame."""
    core = ViewCore(FakeWorker(render_fn=Renderer(load_fn=loader)), config_dir=tmp_path / 'config', sources=('tiny:sg3',),
        device='cpu', capture_dir=str(tmp_path / 'captures'))
    h = Harness(core)
    h.show(*[cls() for cls in VIEW_CLASSES])
    yield h
    h.close()


def rich_view(core: ViewCore) -> None:
    """A view that uses most fields: style mixing, a layer, analysis settings, a transform and a two-keyframe timeline."""
    core.act('latent', 'set', x=3.25, y=1.0, speed=0.5)
    core.act('mix', 'set', enabled=True, seed=5, mask=[True, False, True])
    core.act('transform', 'set', x=0.1, angle_deg=30.0, scale=1.5)
    core.act('trunc_noise', 'set', psi=0.7, use_cutoff=True, cutoff=2)
    core.act('analysis', 'set', spectrum_db_low=-50.0, metrics_samples=8)
    core.act('app', 'add_keyframe')
    core.act('latent', 'set', x=4.0)
    core.act('app', 'add_keyframe')
    core.set_view(zoom=2.0, pan=(3.0, -1.0))


def write(path: pathlib.Path, data: bytes) -> None:
    path.write_bytes(data)


def snapshot(core: ViewCore) -> tuple:
    return json.dumps(core.view_state(), sort_keys=True), json.dumps(core.timeline.to_dict(), sort_keys=True)

# ----------------------------------------------------------------------------
# Sessions.


def test_session_files(harness, tmp_path):
    core, problems = harness.core, Problems()
    rich_view(core)
    harness.frame()
    base_path = tmp_path / 'base.json'
    assert core.save_session(str(base_path))
    base = json.loads(base_path.read_text())
    path, again = tmp_path / 'session.json', tmp_path / 'again.json'
    for case, data, field in mutate.cases(base, seed=SEED + 15, count=220 * SCALE):
        assert core.load_session(str(base_path))
        before = snapshot(core)
        write(path, data)
        start = time.monotonic()
        ok = core.load_session(str(path))
        problems.check(time.monotonic() - start < SECONDS_PER_CASE, case, f'took {time.monotonic() - start:.1f} s')
        if not ok:
            text = core.message.text
            problems.check(core.message.error and str(path) in text, case, f'message does not name the file: {text[:200]}')
            problems.check(field_named(field, text), case, f'message does not name the field {field}: {text[:200]}')
            problems.check(snapshot(core) == before, case, 'a refused session changed the view')
            continue
        problems.check(core.compose_args() is not None, case, f'accepted, but the request is invalid: {core.message.text[:200]}')
        state = snapshot(core)
        problems.check(core.save_session(str(again)) and core.load_session(str(again)) and snapshot(core) == state, case,
            'accepted, but does not survive save and load')
        try:
            harness.frame()
            harness.frame()
        except Exception as e:
            problems.check(False, case, f'a view failed to draw it: {type(e).__name__}: {e}')
    problems.assert_none()


def test_special_session_files(harness, tmp_path):
    core = harness.core
    before = snapshot(core)
    fifo = tmp_path / 'fifo.json'
    os.mkfifo(fifo)
    huge = tmp_path / 'huge.json'
    huge.write_bytes(b'{"format": "sg3-viz-session", "version": 2, "view": {}, "controllers": {}}' + b' ' * (5 << 20))
    folder = tmp_path / 'folder.json'
    folder.mkdir()
    for path, phrase in [(fifo, 'is not a regular file'), (huge, 'bytes; expected at most'), (folder, 'is not a regular file'),
            (tmp_path / 'missing.json', 'No such file'), (pathlib.Path('/dev/zero'), 'is not a regular file')]:
        start = time.monotonic()
        assert not core.load_session(str(path))
        assert time.monotonic() - start < SECONDS_PER_CASE
        assert core.message.error and str(path) in core.message.text and phrase in core.message.text, core.message.text
        assert snapshot(core) == before

# ----------------------------------------------------------------------------
# Timelines.


def test_timeline_files(harness, tmp_path):
    core, problems = harness.core, Problems()
    rich_view(core)
    base_path = tmp_path / 'base-timeline.json'
    assert core.act('app', 'save_timeline', str(base_path))
    base = json.loads(base_path.read_text())
    path, again = tmp_path / 'timeline.json', tmp_path / 'again.json'
    for case, data, field in mutate.cases(base, seed=SEED + 16, count=200 * SCALE):
        assert core.act('app', 'load_timeline', str(base_path))
        before = snapshot(core)
        write(path, data)
        start = time.monotonic()
        try:
            timeline = timeline_mod.read_timeline(path)
            error = None
        except timeline_mod.TimelineError as e:
            timeline, error = None, str(e)
        except Exception as e:
            problems.check(False, case, f'read_timeline raised {type(e).__name__}: {e}')
            continue
        ok = core.act('app', 'load_timeline', str(path))
        problems.check(time.monotonic() - start < SECONDS_PER_CASE, case, f'took {time.monotonic() - start:.1f} s')
        if error is not None:
            problems.check(str(path) in error, case, f'message does not name the file: {error[:200]}')
            problems.check(field_named(field, error), case, f'message does not name the field {field}: {error[:200]}')
            problems.check(not ok and snapshot(core) == before, case, 'a refused timeline changed the view')
            continue
        problems.check(bool(ok), case, f'read_timeline accepts it, the app does not: {core.message.text[:200]}')
        for t in (0.0, timeline.duration / 3, timeline.duration) if timeline.keyframes else ():
            try:
                timeline_mod.compose(timeline.sample(t))
            except Exception as e:
                problems.check(False, case, f'sample at {t:g} s: {type(e).__name__}: {e}')
        problems.check(core.compose_args() is not None, case, f'accepted, but the request is invalid: {core.message.text[:200]}')
        problems.check(core.act('app', 'save_timeline', str(again)) and timeline_mod.read_timeline(again).to_dict() == timeline.to_dict(),
            case, 'accepted, but does not survive save and load')
        try:
            core.act('app', 'play')
            harness.frame(0.3)
            harness.frame(0.3)
            core.act('app', 'pause')
        except Exception as e:
            problems.check(False, case, f'playing it failed: {type(e).__name__}: {e}')
    problems.assert_none()

# ----------------------------------------------------------------------------
# Settings.


def test_settings_files(tmp_path, loader):
    problems = Problems()
    folder = tmp_path / 'config'
    core = ViewCore(FakeWorker(), config_dir=folder, sources=('tiny:sg3', 'tiny:sg2'), capture_dir=str(tmp_path / 'captures'))
    core.save_settings((1280, 800))
    base = json.loads((folder / settings_mod.SETTINGS_FILE).read_text())
    path = folder / settings_mod.SETTINGS_FILE
    for case, data, field in mutate.cases(base, seed=SEED + 17, count=150 * SCALE):
        write(path, data)
        start = time.monotonic()
        try:
            settings, warning = settings_mod.load_settings(folder)
        except Exception as e:
            problems.check(False, case, f'load_settings raised {type(e).__name__}: {e}')
            continue
        problems.check(warning is None or (str(path) in warning and field_named(field, warning)), case,
            f'the warning does not name the file and field {field}: {warning}')
        try:
            core = ViewCore(FakeWorker(render_fn=Renderer(load_fn=loader)), config_dir=folder)
            h = Harness(core)
            try:
                h.show(*[cls() for cls in VIEW_CLASSES])
                h.frame()
            finally:
                h.close()
            core.save_settings((1280, 800))
        except Exception as e:
            problems.check(False, case, f'the app failed with these settings: {type(e).__name__}: {e}')
            continue
        problems.check(time.monotonic() - start < SECONDS_PER_CASE, case, f'took {time.monotonic() - start:.1f} s')
        problems.check(settings_mod.load_settings(folder)[1] is None, case, 'the settings the app saved do not read back')
    problems.assert_none()


def test_special_settings_files(tmp_path):
    folder = tmp_path / 'config'
    folder.mkdir()
    path = folder / settings_mod.SETTINGS_FILE
    os.mkfifo(path)
    start = time.monotonic()
    settings, warning = settings_mod.load_settings(folder)
    assert time.monotonic() - start < SECONDS_PER_CASE and settings == settings_mod.Settings() and 'not a regular file' in warning
    path.unlink()
    path.write_bytes(b'{"recent": []}' + b' ' * (2 << 20))
    settings, warning = settings_mod.load_settings(folder)
    assert settings == settings_mod.Settings() and str(path) in warning and 'larger than' in warning

# ----------------------------------------------------------------------------
# The request in a capture's PNG text.


def test_capture_requests(harness, tmp_path):
    problems = Problems()
    core = harness.core
    harness.frame()
    shown = core.act('app', 'capture_image')
    args = capture.read_request(shown)
    assert args == core.result.args
    base = json.loads(json.dumps(args.to_dict()))
    png = shown.read_bytes()
    image = np.zeros((4, 4, 3), np.uint8)
    folder = tmp_path / 'fuzz'
    for index, (case, data, field) in enumerate(mutate.cases(base, seed=SEED + 18, count=150 * SCALE)):
        if index % 3 == 2:                                        # The PNG itself damaged.
            what, data = mutate.mutate_bytes(png, __import__('random').Random(index))
            case, field = f'#{index} PNG {what}', None
            path = folder / f'png-{index}.png'
            folder.mkdir(exist_ok=True)
            path.write_bytes(data)
        else:
            path = capture.save_png(image, folder, 'capture', {capture.ARGS_KEY: data.decode('utf-8', 'replace')})
        start = time.monotonic()
        try:
            capture.read_request(path)
        except capture.CaptureError as e:
            problems.check(str(path) in str(e), case, f'message does not name the file: {str(e)[:200]}')
            problems.check(field_named(field, str(e)), case, f'message does not name the field {field}: {str(e)[:200]}')
        except Exception as e:
            problems.check(False, case, f'read_request raised {type(e).__name__}: {e}')
        problems.check(time.monotonic() - start < SECONDS_PER_CASE, case, f'took {time.monotonic() - start:.1f} s')
    for path, phrase in [(tmp_path / 'missing.png', 'no such file'), (folder, 'not a file'),
            (capture.save_png(image, folder, 'plain'), 'no request in the image')]:
        with pytest.raises(capture.CaptureError, match=phrase):
            capture.read_request(path)
    problems.assert_none()

# ----------------------------------------------------------------------------
# Latent and direction files (.npy / .npz, issue 14).


def array_bases(G) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Valid files to mutate: NVIDIA's projector W+, a list of W+, an InterFaceGAN-like direction array, our direction set."""
    rng = np.random.RandomState(0)
    ours = dict(directions=rng.randn(3, G.w_dim).astype(np.float32), sigmas=np.float32([0.5, 0.4, 0.3]),
        names=np.array(['age', 'smile', 'pose']), values=np.float64([3.0, 2.0, 1.0]), kind=np.array('sefa'))
    return [('projected_w', {'w': rng.randn(1, G.num_ws, G.w_dim).astype(np.float32)}),
        ('many_w', {'': rng.randn(3, G.num_ws, G.w_dim).astype(np.float32)}),
        ('boundary', {'': rng.randn(1, G.w_dim).astype(np.float32)}), ('set', ours)]


def run_timed(fn, timeout: float = 10.0):
    """(value, exception, seconds) of fn() in a thread; exception TimeoutError if it did not return (a hang)."""
    import threading
    out: list = [None, None]

    def target():
        try:
            out[0] = fn()
        except BaseException as e:  # Reported by the caller.
            out[1] = e
    start = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return (None, TimeoutError(f'no answer in {timeout} s'), timeout) if thread.is_alive() else (out[0], out[1], time.monotonic() - start)


def valid_latents(ws, G) -> bool:
    return (ws.dtype == np.float32 and ws.ndim == 3 and ws.shape[0] >= 1 and ws.shape[1:] == (G.num_ws, G.w_dim)
        and bool(np.isfinite(ws).all()))


def valid_directions(found, G) -> bool:
    vectors, names, sigmas, _values, _kind = found
    return (vectors.dtype == np.float32 and vectors.ndim == 2 and vectors.shape[0] >= 1 and vectors.shape[1] == G.w_dim
        and bool(np.isfinite(vectors).all()) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4) and len(names) == len(vectors)
        and (sigmas is None or (sigmas.shape == (len(vectors),) and bool(np.isfinite(sigmas).all()) and bool((sigmas > 0).all()))))


def check_refusal(problems: Problems, case: str, path, error, seconds: float, reader: str) -> None:
    """A refusal names the file and what was expected; nothing else is raised, nothing hangs."""
    from sg3.latent_files import LatentFileError
    problems.check(seconds < SECONDS_PER_CASE, case, f'{reader} took {seconds:.1f} s')
    if error is None:
        return
    if not isinstance(error, LatentFileError):
        problems.check(False, case, f'{reader} raised {type(error).__name__}: {error}')
        return
    problems.check(str(path) in str(error) and 'expected' in str(error), case, f'{reader}: message does not name the file and '
        f'what was expected: {str(error)[:200]}')


def test_latent_and_direction_files_read_directly(tmp_path, loader):
    from sg3 import latent_files as LF
    G, problems = loader.nets['tiny:sg3'], Problems()
    for which, (label, arrays) in enumerate(array_bases(G)):
        for index, (case, data, ext) in enumerate(mutate.array_cases(arrays, seed=SEED + 30 + which, count=80 * SCALE)):
            case = f'{label} {case}'
            path = tmp_path / f'{label}-{index}{ext}'
            write(path, data)
            ws, error, seconds = run_timed(lambda: LF.load_latents(str(path), G.num_ws, G.w_dim))
            check_refusal(problems, case, path, error, seconds, 'load_latents')
            problems.check(error is not None or valid_latents(ws, G), case, 'load_latents accepted it but returned invalid latents')
            found, error, seconds = run_timed(lambda: LF.load_directions(str(path), G.w_dim))
            check_refusal(problems, case, path, error, seconds, 'load_directions')
            problems.check(error is not None or valid_directions(found, G), case, 'load_directions accepted it but returned invalid directions')
            path.unlink()
    problems.assert_none()


ROUTES = (('drop', lambda core, path: core.drop([path])), ('load', lambda core, path: core.act('directions', 'load_directions', path)),
    ('import', lambda core, path: core.act('directions', 'import_latents', path)))


def through_the_app(harness, problems: Problems, case: str, path: pathlib.Path, route: int) -> None:
    """The file through one of the app's paths (dropped on the window, the load or import action), rendered: an image, or
    an error over it that names the file and what was expected; after a reset the app renders again."""
    core = harness.core
    name, act = ROUTES[route % len(ROUTES)]
    _, error, seconds = run_timed(lambda: (act(core, str(path)), harness.frame(), harness.frame()))   # Submit, then render.
    problems.check(seconds < SECONDS_PER_CASE, f'{case} ({name})', f'took {seconds:.1f} s')
    if error is not None:
        problems.check(False, f'{case} ({name})', f'{type(error).__name__}: {error}')
        return
    result = core.result
    if result is not None and result.error is not None:
        problems.check(str(path) in result.error and 'expected' in result.error, f'{case} ({name})',
            f'error does not name the file and what was expected: {result.error[:200]}')
    core.act('directions', 'reset')
    harness.frame()
    harness.frame()
    problems.check(core.result is not None and core.result.error is None and core.result.image is not None, f'{case} ({name})',
        f'no image after a reset: {core.result.error if core.result else None}')


def test_latent_and_direction_files_through_the_app(harness, tmp_path, loader):
    G, problems = loader.nets['tiny:sg3'], Problems()
    harness.frame()
    for which, (label, arrays) in enumerate(array_bases(G)):
        for index, (case, data, ext) in enumerate(mutate.array_cases(arrays, seed=SEED + 40 + which, count=24 * SCALE)):
            path = tmp_path / f'{label}-{index}{ext}'
            write(path, data)
            through_the_app(harness, problems, f'{label} {case}', path, index)
    problems.assert_none()


class Unpickled:
    """An object whose unpickling creates a marker file: it must never happen."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def special_array_files(tmp_path: pathlib.Path, G) -> list[tuple[pathlib.Path, str]]:
    """(path, phrase its refusal must contain) for files no mutation makes: FIFOs, folders, devices, a zip bomb, pickles."""
    made = []
    for name in ('fifo.npy', 'fifo.npz'):
        os.mkfifo(tmp_path / name)
        made.append((tmp_path / name, 'not a regular file'))
    (tmp_path / 'folder.npz').mkdir()
    (tmp_path / 'zero.npy').symlink_to('/dev/zero')
    (tmp_path / 'empty.npy').write_bytes(b'')
    made += [(tmp_path / 'folder.npz', 'a folder'), (tmp_path / 'zero.npy', 'not a regular file'), (tmp_path / 'missing.npz', 'no such file'),
        (tmp_path / 'empty.npy', 'not a readable .npy')]
    import zipfile
    with zipfile.ZipFile(tmp_path / 'bomb.npz', 'w', zipfile.ZIP_DEFLATED) as archive:
        with archive.open('w.npy', 'w', force_zip64=True) as member:   # 300 MB of zeros in about 300 kB.
            count = (300 << 20) // 4
            member.write(mutate.with_header_shape(mutate.npy_bytes(np.zeros(1, np.float32)), f'({count},)')[:-4])
            chunk = bytes(1 << 22)
            for _ in range(count * 4 // len(chunk)):
                member.write(chunk)
    made.append((tmp_path / 'bomb.npz', 'unpacks to 300 MB'))
    marker = tmp_path / 'unpickled'
    objects = np.array([Unpickled(marker)] * 2, dtype=object)
    (tmp_path / 'objects.npy').write_bytes(mutate.npy_bytes(objects))
    (tmp_path / 'objects.npz').write_bytes(mutate.npz_bytes({'w.npy': mutate.npy_bytes(objects)}))
    made += [(tmp_path / 'objects.npy', 'Python objects'), (tmp_path / 'objects.npz', 'Python objects')]
    big = mutate.with_header_shape(mutate.npy_bytes(np.zeros((1, G.num_ws, G.w_dim), np.float32)), f'(1000000000000, {G.num_ws}, {G.w_dim})')
    (tmp_path / 'huge.npy').write_bytes(big)
    made.append((tmp_path / 'huge.npy', 'but the file holds'))
    return made


def test_special_latent_and_direction_files(harness, tmp_path, loader):
    from sg3 import latent_files as LF
    G, problems = loader.nets['tiny:sg3'], Problems()
    harness.frame()
    for path, phrase in special_array_files(tmp_path, G):
        for reader, read in (('load_latents', lambda: LF.load_latents(str(path), G.num_ws, G.w_dim)),
                ('load_directions', lambda: LF.load_directions(str(path), G.w_dim))):
            _, error, seconds = run_timed(read)
            check_refusal(problems, path.name, path, error, seconds, reader)
            problems.check(error is not None and phrase in str(error), path.name, f'{reader}: expected {phrase!r} in {error}')
        for route in range(len(ROUTES)):
            through_the_app(harness, problems, path.name, path, route)
    problems.check(not (tmp_path / 'unpickled').exists(), 'objects', 'an object array was unpickled')
    for fifo in ('fifo.npy', 'fifo.npz'):                       # Release any reader still blocked on a FIFO.
        try:
            os.close(os.open(tmp_path / fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    problems.assert_none()
