"""The view core fuzzed headlessly: seeded random sequences of every action of every controller and of the app (with
valid and hostile arguments), shortcuts, image drags, dropped files and frame steps, with every view of the pane
drawn after each step (imgui's headless context). After every step: nothing raised, the request is valid, the view
state survives a session file and the timeline its JSON, and the message on screen is text of a sane length.

SG3_FUZZ_SCALE=N runs N times the steps; SG3_FUZZ_SEED=S shifts the seeds. A finding names its seed and step.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import pathlib
import random
import time
import typing

import numpy as np
import pytest

from tests.reliability.common import SG2, SG3, Loader, wait_until
from tests.viz.fakes import FakeWorker
from tests.viz.imgui.harness import Harness
from viz.core import session as session_mod, shortcuts
from viz.core.controller import ImageDrag
from viz.core.timeline import Timeline
from viz.core.view_core import ViewCore
from viz.imgui.views import VIEW_CLASSES
from viz.render.renderer import Renderer
from viz.render.worker import RenderWorker

pytestmark = pytest.mark.usefixtures('one_thread')

SCALE = int(os.environ.get('SG3_FUZZ_SCALE', '1'))
SEED = int(os.environ.get('SG3_FUZZ_SEED', '0'))
MAX_MESSAGE = 2000                              # Characters: longer messages do not fit any window.

WORDS = ['off', 'eqt', 'eqt_frac', 'eqr', 'side', 'reference', 'generated', 'error', 'all', 'selected', 'rgb', 'channel',
    'const', 'random', 'none', 'auto', 'cpu', 'cuda', 'mps', 'nearest', 'linear', 'smooth', 'catmull-rom', 'seeds',
    'spherical', 'png', 'npz', 'mp4', 'gif', 'image', 'coarse', 'middle', 'fine', 'L3_36_512', 'output', SG3, SG2]
HOSTILE = [None, True, -1, 0, 2 ** 63, 1e308, -1e308, math.nan, math.inf, -math.inf, '', 'x' * 5000, '\ud800', '\u0000', [], {}, (1, 2)]


class Fuzzer:
    def __init__(self, rng: random.Random, core: ViewCore, files: dict[str, str]) -> None:
        self.rng, self.core, self.files = rng, core, files

    def value(self, annotation: typing.Any, name: str = '') -> typing.Any:
        """A value for a parameter: usually one of its type, sometimes a hostile one."""
        rng = self.rng
        if rng.random() < 0.15:
            return rng.choice(HOSTILE)
        text = str(annotation)
        if name in ('path', 'source', 'folder') or 'path' in name:
            return rng.choice(list(self.files.values()))
        if 'bool' in text:
            return rng.random() < 0.5
        if 'float' in text:
            return rng.choice([0.0, 0.25, -0.5, 1.0, 2.0, 7.5, 90.0, -400.0, 1e-7, 1e6, rng.uniform(-10, 10)])
        if 'int' in text:
            return rng.choice([0, 1, 2, 3, 5, 8, 17, -1, 100, 10 ** 6, rng.randrange(-5, 50)])
        if 'list' in text or 'tuple' in text:
            return rng.choice([[1, 2, 3], [True, False, True], '3, 4, 5', []])
        return rng.choice(WORDS)

    def arguments(self, method) -> tuple[list, dict]:
        args, kwargs = [], {}
        for parameter in list(inspect.signature(method).parameters.values()):
            if parameter.kind in (parameter.VAR_POSITIONAL,):
                continue
            if parameter.kind is parameter.VAR_KEYWORD:
                continue
            if parameter.default is not parameter.empty and self.rng.random() < 0.4:
                continue
            value = self.value(parameter.annotation, parameter.name)
            if parameter.kind is parameter.KEYWORD_ONLY:
                kwargs[parameter.name] = value
            else:
                args.append(value)
        return args, kwargs

    def action(self) -> str:
        core, rng = self.core, self.rng
        target = rng.choice(['app'] * 3 + list(core.controllers))
        owner = core if target == 'app' else core.controllers[target]
        names = [n for n in (core.APP_ACTIONS if target == 'app' else owner.ACTIONS) if n not in ('quit',)]
        name = rng.choice(names)
        if name == 'set' and target != 'app':
            fields = [f for f in owner.State.__dataclass_fields__]
            chosen = rng.sample(fields, k=min(len(fields), rng.choice([1, 1, 2])))
            hints = typing.get_type_hints(owner.State)
            kwargs = {f: self.value(hints[f], f) for f in chosen}
            core.act(target, name, **kwargs)
            return f'{target}.set({kwargs!r:.120})'
        args, kwargs = self.arguments(getattr(owner, name))
        core.act(target, name, *args, **kwargs)
        return f'{target}.{name}(*{args!r:.80}, **{kwargs!r:.80})'

    def step(self) -> tuple[str, float]:
        """One random input; returns its description and the frame time to step."""
        rng, core = self.rng, self.core
        kind = rng.random()
        if kind < 0.6:
            what = self.action()
        elif kind < 0.75:
            s = rng.choice(shortcuts.SHORTCUTS)
            core.shortcut(s.key, shift=s.shift, ctrl=s.ctrl)
            what = f'shortcut {s.key}'
        elif kind < 0.87:
            drag = ImageDrag(dx=rng.choice([0.0, 1.0, -3.5, 40.0, 1e9, math.nan]), dy=rng.uniform(-20, 20), button=rng.choice([0, 1, 2]),
                shift=rng.random() < 0.3, ctrl=rng.random() < 0.3, alt=rng.random() < 0.2)
            core.interacting = rng.random() < 0.5
            core.image_drag(drag)
            what = f'drag {drag}'
        elif kind < 0.9:
            paths = rng.sample(list(self.files.values()), k=rng.choice([1, 2]))
            core.drop(paths)
            what = f'drop {paths}'
        else:
            what = 'frame'
        return what, rng.choice([0.0, 1 / 60, 1 / 60, 0.25, 3.0])


def make_files(tmp_path: pathlib.Path) -> dict[str, str]:
    """Paths the fuzzer hands to actions: good and bad sessions and timelines, a capture, a folder, nothing."""
    folder = tmp_path / 'inputs'
    folder.mkdir()
    (folder / 'session.json').write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2,
        'controllers': {'latent': {'x': 2.5, 'anim': True}, 'transform': {'anim_rotate': True}}}))
    (folder / 'bad.json').write_text('{"format": "sg3-viz-session", "version": 2, "controllers": {"latent": {"x": "far"}}}')
    (folder / 'timeline.json').write_text(json.dumps({'format': 'sg3-viz-timeline', 'version': 1, 'duration': 2.0, 'loop': True,
        'keyframes': [{'time': 0.0, 'controllers': {}}, {'time': 1.0, 'controllers': {'latent': {'x': 3.0}}}]}))
    (folder / 'garbage.json').write_bytes(bytes(range(256)))
    (folder / 'net.pkl').write_bytes(b'not a network')
    (folder / 'dir').mkdir()
    return {'session': str(folder / 'session.json'), 'bad': str(folder / 'bad.json'), 'timeline': str(folder / 'timeline.json'),
        'garbage': str(folder / 'garbage.json'), 'pkl': str(folder / 'net.pkl'), 'dir': str(folder / 'dir'),
        'missing': str(folder / 'missing.json'), 'out': str(folder / 'out.json'), 'sg3': SG3, 'sg2': SG2, 'long': 'y' * 3000}


def check(core: ViewCore, tmp_path: pathlib.Path, where: str) -> None:
    """The invariants after a step."""
    args = core.compose_args()
    assert args is not None, f'{where}: the request is invalid: {core.message and core.message.text[:300]}'
    state = core.view_state()
    path = tmp_path / 'roundtrip.json'
    session_mod.write_session(path, state)
    fresh = ViewCore(FakeWorker(), config_dir=tmp_path / 'fresh-config')
    fresh.apply_view_state(session_mod.read_session(path), 'round trip')
    assert fresh.view_state() == json.loads(json.dumps(state)), f'{where}: the view state does not survive a session file'
    timeline = core.timeline.to_dict()
    assert Timeline.from_dict(json.loads(json.dumps(timeline))).to_dict() == timeline, f'{where}: the timeline does not survive its JSON'
    message = core.message
    if message is not None:
        assert isinstance(message.text, str) and len(message.text) <= MAX_MESSAGE, f'{where}: message of {len(message.text)} characters'
        message.text.encode('utf-8')


@pytest.mark.parametrize('seed', [1, 2])
def test_random_actions_keep_the_core_consistent(tmp_path, seed, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # Relative paths the fuzzer types (folders, session names) land here.
    seed += SEED
    rng = random.Random(seed)
    core = ViewCore(FakeWorker(render_fn=Renderer(load_fn=Loader())), config_dir=tmp_path / 'config', sources=(SG3,), device='cpu',
        capture_dir=str(tmp_path / 'captures'))
    fuzzer = Fuzzer(rng, core, make_files(tmp_path))
    harness = Harness(core)
    history: list[str] = []
    try:
        harness.show(*[cls() for cls in VIEW_CLASSES])
        for step in range(200 * SCALE):
            what, dt = fuzzer.step()
            history.append(what)
            where = f'seed {seed} step {step} ({what}; before: {history[-4:-1]})'
            try:
                harness.frame(dt)
            except Exception as e:
                raise AssertionError(f'{where}: drawing or updating raised {type(e).__name__}: {str(e)[:300]}') from e
            check(core, tmp_path, where)
        core.act('network', 'load', SG3)
        core.act('layer', 'reset')
        core.act('analysis', 'reset')
        core.act('directions', 'reset')         # The fuzz may have dropped a file that holds no latent.
        harness.frame()
        harness.frame()
        assert core.result is not None and core.result.error is None and core.result.image is not None, core.result and core.result.error
    finally:
        harness.close()
        core.close()


def test_random_actions_with_the_real_worker_and_commands(tmp_path, monkeypatch):
    """The same inputs against the threaded worker, with background commands running, and a fresh request at the end."""
    monkeypatch.chdir(tmp_path)                 # Relative paths the fuzzer types land here, not in the checkout.
    rng = random.Random(SEED + 7)
    core = ViewCore(RenderWorker(Renderer(load_fn=Loader())), config_dir=tmp_path / 'config', sources=(SG3,), device='cpu',
        capture_dir=str(tmp_path / 'captures'))
    fuzzer = Fuzzer(rng, core, make_files(tmp_path))
    try:
        core.act('analysis', 'set', metrics_samples=4, average_seeds=2)
        for step in range(200 * SCALE):
            what, dt = fuzzer.step()
            if rng.random() < 0.04:
                what = rng.choice(['compute_metrics', 'average_spectrum', 'export_spectrum', 'add_keyframe', 'render_video'])
                core.act('app', what, *(['npz'] if what == 'export_spectrum' else []))
            core.update(dt)
            time.sleep(rng.choice([0, 0, 0.002, 0.02]))
            check(core, tmp_path, f'seed {SEED + 7} step {step} ({what})')
        for kind in list(core.command_ids):
            core.cancel(kind)
        core.act('network', 'load', SG2)
        core.act('layer', 'reset')
        core.act('analysis', 'reset')
        core.act('latent', 'set', anim=False, x=12.0)
        core.update(0.0)
        result = wait_until(lambda: not core.render_pending() and core.result, 60, 'a fresh render', step=lambda: core.update(0.0))
        assert result.error is None and result.network.source == SG2 and result.args.latent.x == 12.0
        assert np.array_equal(result.image, Renderer(load_fn=Loader()).render(result.args).image)
    finally:
        core.close()
