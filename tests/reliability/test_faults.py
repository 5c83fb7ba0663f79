"""Fault injection (viz.faults) into the real render worker and renderer behind a view core: exceptions and
out-of-memory errors in renders, loads and commands, loads that hang, and disks that fill up while captures,
sessions, timelines, settings, videos and exports are written. Each fault becomes a message, the app renders
the next request as if nothing had happened, and no partial or temporary file is left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from viz import faults
from viz.core import session as session_mod
from viz.protocol import RenderArgs
from viz.render.renderer import Renderer
from viz.render.worker import RenderWorker
from tests.reliability.common import REPO, SG2, SG3, Loader, command_finished, listing, make_core, settle, try_mount_tmpfs, unmount, wait_until

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def loader():
    return Loader()


@pytest.fixture
def core(tmp_path, loader):
    core = make_core(tmp_path, loader)
    yield core
    core.close()


def next_seed(core) -> None:
    core.act('latent', 'next_seed')

# ----------------------------------------------------------------------------
# The hook itself.


def test_fault_specs_parse_and_bad_ones_are_named():
    parsed = faults.parse('render:exception@3, load:hang,write:enospc@2+,command:oom')
    assert [str(f) for f in parsed] == ['render:exception@3', 'load:hang', 'write:enospc@2+', 'command:oom']
    assert [parsed[0].fires(n) for n in (2, 3, 4)] == [False, True, False]
    assert [parsed[2].fires(n) for n in (1, 2, 9)] == [False, True, True]
    assert faults.parse('') == ()
    for spec, phrase in [('render', 'expected point:kind'), ('disk:enospc', "unknown point 'disk'"), ('write:oom', 'write faults are enospc, eio'),
            ('render:exception@0', 'counts from 1'), ('render:exception@x', 'expected point:kind')]:
        with pytest.raises(faults.FaultSpecError, match=phrase):
            faults.parse(spec)


def test_without_faults_the_hooks_change_nothing(tmp_path):
    assert faults.active() is None, 'SG3_VIZ_FAULTS is set in the environment of the tests'
    event = threading.Event()
    faults.hit('render', event)
    faults.hit('load', None)
    with open(tmp_path / 'f', 'wb') as f:
        assert faults.wrap_write(f) is f


def test_the_environment_variable_configures_a_subprocess(tmp_path):
    code = ('from viz import faults, files\n'
            'try:\n    files.atomic_write("out.bin", lambda f: f.write(bytes(5000)))\nexcept OSError as e:\n    print(e.errno)\n'
            'print(faults.active().fired)')
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, 'SG3_VIZ_FAULTS': 'write:enospc', 'PYTHONPATH': str(REPO)}).stdout.split('\n')
    assert out[0] == '28' and out[1] == "['write:enospc#1']"
    assert listing(tmp_path) == []

# ----------------------------------------------------------------------------
# Renders, loads and commands.


@pytest.mark.parametrize('kind, phrase', [('exception', 'InjectedFault: injected fault render:exception@1'),
    ('oom', 'Out of memory: out of memory (injected fault render:oom@1')])
def test_a_failing_render_is_a_message_and_the_next_one_renders(core, kind, phrase):
    first = settle(core)
    assert first.error is None and first.image is not None
    with faults.inject(f'render:{kind}@1') as injected:
        next_seed(core)
        failed = settle(core)
        assert failed.error.startswith(phrase) and failed.image is None
        assert core.shown_image is first.image                     # The last good image stays on screen.
        next_seed(core)
        good = settle(core)
    assert injected.fired == [f'render:{kind}#1']
    assert good.error is None and good.args.latent.x == 2.0
    assert np.array_equal(good.image, Renderer(load_fn=Loader()).render(good.args).image)


@pytest.mark.parametrize('kind', ['exception', 'oom'])
def test_a_failing_load_is_a_message_and_other_networks_still_load(tmp_path, kind):
    loader = Loader()
    with faults.inject(f'load:{kind}@1'):
        core = make_core(tmp_path, loader)
        try:
            failed = settle(core)
            assert failed.error is not None and ('InjectedFault' in failed.error if kind == 'exception' else failed.error.startswith('Out of memory'))
            core.act('network', 'load', SG2)
            assert settle(core).error is None
            core.act('network', 'load', SG3)                       # Loaded again: a failure is not kept after another network.
            result = settle(core)
            assert result.error is None and result.network.source == SG3
        finally:
            core.close()
    assert loader.loads == [SG2, SG3]                              # The failed attempt never reached the loader.


def test_a_hung_load_is_cancelled_and_the_shown_network_comes_back(core, loader):
    assert settle(core).network.source == SG3
    with faults.inject('load:hang@1'):
        core.act('network', 'load', SG2)
        wait_until(lambda: core.loading, 10, 'the loading text', step=lambda: core.update(0.0))
        time.sleep(0.2)
        assert core.render_pending() and core.loading.startswith(f'Loading {SG2}')
        start = time.monotonic()
        core.act('app', 'cancel_load')
        assert core.message.text == f'Cancelled loading {SG2}; showing {SG3} again.' and not core.message.error
        result = settle(core, timeout=10)
    assert time.monotonic() - start < 5
    assert result.error is None and result.network.source == SG3 and core.network.state.source == SG3
    core.act('network', 'load', SG2)                               # Not remembered as failed: it loads now.
    assert settle(core).network.source == SG2


def test_a_hung_load_is_cancelled_by_asking_for_another_network(tmp_path):
    with faults.inject('load:hang@1'):
        core = make_core(tmp_path, Loader(), source=SG2)
        try:
            wait_until(lambda: core.loading, 10, 'the loading text', step=lambda: core.update(0.0))
            core.act('network', 'load', SG3)
            result = settle(core, timeout=10)
            assert result.error is None and result.network.source == SG3
        finally:
            core.close()


def test_nothing_to_cancel_is_a_message(core):
    settle(core)
    core.act('app', 'cancel_load')
    assert core.message.error and 'nothing to cancel' in core.message.text


def test_closing_the_worker_ends_a_hung_load_and_a_hung_render():
    for spec in ('load:hang@1', 'render:hang@1'):
        with faults.inject(spec):
            worker = RenderWorker(Renderer(load_fn=Loader()))
            worker.submit(RenderArgs.from_dict({'network': {'source': SG3}, 'performance': {'device': 'cpu'}}))
            wait_until(lambda: worker.busy, 5, 'the render to start')
            time.sleep(0.1)
            start = time.monotonic()
            worker.close(timeout=5)
            assert time.monotonic() - start < 2 and not worker._thread.is_alive()


def test_a_hung_render_is_cancelled_by_the_worker():
    with faults.inject('render:hang@1') as injected:
        worker = RenderWorker(Renderer(load_fn=Loader()))
        try:
            args = RenderArgs.from_dict({'network': {'source': SG3}, 'performance': {'device': 'cpu'}})
            worker.submit(args)
            wait_until(lambda: injected.fired, 5, 'the render to hang')
            assert worker.cancel_render()
            assert wait_until(worker.poll, 5, 'the cancelled result').error == 'cancelled'
            worker.submit(args)
            assert worker.wait(30).error is None
            assert not worker.cancel_render()                      # Nothing in flight any more.
        finally:
            worker.close()


@pytest.mark.parametrize('kind, phrase', [('exception', 'InjectedFault: injected fault command:exception@2'),
    ('oom', 'OutOfMemoryError: out of memory (injected fault command:oom@2')])
def test_a_failing_command_is_a_failed_status_and_the_next_one_runs(core, kind, phrase):
    settle(core)
    core.act('analysis', 'set', metrics_samples=4)
    with faults.inject(f'command:{kind}@2'):
        core.act('app', 'compute_metrics')
        status = command_finished(core, 'metrics')
        assert status.state == 'failed' and status.error.startswith(phrase)
        next_seed(core)
        assert settle(core).error is None                          # Renders go on.
        core.act('app', 'compute_metrics')
        status = command_finished(core, 'metrics')
    assert status.state == 'done' and status.psnr


def test_a_hung_command_is_cancelled_and_renders_go_on(core):
    """Commands run in chunks on the render thread: a chunk that hangs holds the next render back until the
    command is cancelled."""
    settle(core)
    core.act('analysis', 'set', metrics_samples=4)
    with faults.inject('command:hang@1') as injected:
        core.act('app', 'compute_metrics')
        wait_until(lambda: injected.fired, 10, 'the command to hang', step=lambda: core.update(0.0))
        next_seed(core)
        core.update(0.0)
        time.sleep(0.2)
        core.update(0.0)
        assert core.render_pending()
        core.act('app', 'cancel', 'metrics')
        assert command_finished(core, 'metrics', timeout=10).state == 'cancelled'
        assert settle(core, timeout=10).error is None

# ----------------------------------------------------------------------------
# Disks that fill up while the app writes.


@pytest.mark.parametrize('kind, errno_text', [('enospc', 'No space left on device'), ('eio', 'Input/output error')])
def test_a_full_disk_during_a_capture_leaves_no_file(core, tmp_path, kind, errno_text):
    settle(core)
    folder = tmp_path / 'captures'
    with faults.inject(f'write:{kind}@1'):
        assert core.act('app', 'capture_image') is None
    assert core.message.error and errno_text in core.message.text and str(folder) in core.message.text
    assert listing(folder) == []
    path = core.act('app', 'capture_image')                        # The disk has room again.
    assert path.name == 'image-00001.png' and listing(folder) == ['image-00001.png']
    assert np.array_equal(np.asarray(Image.open(path).convert('RGB')), core.shown_image)


def test_a_full_disk_during_session_timeline_and_settings_saves_keeps_the_old_files(core, tmp_path):
    settle(core)
    folder = tmp_path / 'files'
    folder.mkdir()
    session, timeline = folder / 'session.json', folder / 'timeline.json'
    core.act('app', 'add_keyframe')
    assert core.act('app', 'save_session', str(session)) and core.act('app', 'save_timeline', str(timeline))
    core.save_settings()
    settings = core.config_dir / 'settings.json'
    before = {p: p.read_bytes() for p in (session, timeline, settings)}
    next_seed(core)
    core.act('performance', 'set', fps_limit=30.0)
    core.act('app', 'add_keyframe')
    with faults.inject('write:enospc') as injected:
        assert not core.act('app', 'save_session', str(session))
        assert core.message.error and 'No space left on device' in core.message.text and str(session) in core.message.text
        assert not core.act('app', 'save_timeline', str(timeline))
        assert core.message.error and 'No space left on device' in core.message.text and str(timeline) in core.message.text
        core.save_settings()
        assert core.message.error and 'No space left on device' in core.message.text and 'Could not save settings' in core.message.text
    assert len(injected.fired) == 3
    assert {p: p.read_bytes() for p in before} == before           # The old files are whole and unchanged.
    assert listing(folder) == ['session.json', 'timeline.json'] and listing(core.config_dir) == ['settings.json']
    assert core.act('app', 'save_session', str(session)) and session_mod.read_session(session)['controllers']['latent']['x'] == 1.0


@pytest.mark.parametrize('format', ['mp4', 'gif'])
def test_a_full_disk_during_a_video_fails_the_command_and_leaves_no_file(core, tmp_path, format):
    settle(core)
    core.act('app', 'add_keyframe')
    next_seed(core)
    core.act('app', 'add_keyframe', 1.0)
    folder = tmp_path / 'captures'
    with faults.inject('write:enospc@1'):
        core.act('app', 'render_video', format=format, fps=4)
        status = command_finished(core, 'video')
    assert status.state == 'failed' and 'No space left on device' in status.error
    assert listing(folder) == []
    core.act('app', 'render_video', format=format, fps=4)
    status = command_finished(core, 'video')
    assert status.state == 'done' and listing(folder) == [f'video-00001.{format}', f'video-00001.{format}.json']
    assert json.loads((folder / f'video-00001.{format}.json').read_text())['keyframes'][1]['time'] == 1.0


def test_a_full_disk_during_a_spectrum_export_fails_the_command_and_leaves_no_file(core, tmp_path):
    core.act('analysis', 'show_spectrum', True)
    settle(core)
    with faults.inject('write:enospc@1'):
        core.act('app', 'export_spectrum', 'npz')
        status = command_finished(core, 'export')
    assert status.state == 'failed' and 'No space left on device' in status.error
    assert listing(tmp_path / 'captures') == []
    core.act('app', 'export_spectrum', 'npz')
    assert command_finished(core, 'export').state == 'done' and len(listing(tmp_path / 'captures')) == 1


def test_a_real_full_disk(core, tmp_path):
    """The same on a real file system that fills up (a 64 KiB tmpfs; needs root): a capture too big for it, a session
    file and a video of PNG frames that no longer fit."""
    disk = tmp_path / 'disk'
    if not try_mount_tmpfs(disk, '64k'):
        pytest.skip('cannot mount a small tmpfs here (needs root): the injected faults above stand for it')
    try:
        settle(core)
        noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)   # ~200 KB as a PNG.
        core.act('capture', 'set', folder=str(disk))
        assert core.save_capture(noise, 'window') is None
        assert core.message.error and 'No space left on device' in core.message.text
        assert listing(disk) == []
        with open(disk / 'filler', 'wb', buffering=0) as f:        # Fill it up.
            with pytest.raises(OSError, match='No space left'):
                while True:
                    f.write(bytes(4096))
        assert not core.act('app', 'save_session', str(disk / 'session.json'))
        assert 'No space left on device' in core.message.text and listing(disk) == ['filler']
        # A video as a folder of PNG frames (written frame by frame, in a temporary folder renamed when complete).
        core.act('app', 'add_keyframe')
        next_seed(core)
        core.act('app', 'add_keyframe', 1.0)
        core.act('app', 'render_video', format='png', fps=4)
        status = command_finished(core, 'video')
        assert status.state == 'failed' and 'No space left on device' in status.error and listing(disk) == ['filler']
    finally:
        unmount(disk)
