"""Every file the app reads, fuzzed (seeded, tests/reliability/mutate.py): session files, timeline files, the
settings file and the request in a capture's PNG text. A bad file is refused with an error that names the file
(and, for a bad value, the field) and changes nothing; a file that is accepted leaves a valid request, survives a
save and load unchanged, and every view of the pane draws it. Never an unexpected exception, never a hang.
(Latent and direction files do not exist yet, issue 14.)

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
