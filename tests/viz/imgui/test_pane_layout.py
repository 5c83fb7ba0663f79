"""The control pane in-process under Xvfb (the real window and worker, a stand-in render function; helpers of
test_app.py): which sections are open at first and that they stay as the user left them across runs; no control
moves while a network loads (its description lines give way to a loading line) or when a progress bar comes
and goes; the mouse wheel scrolls the pane over the layer table too."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest

from tests.viz.imgui.test_app import Driver, fake_render, open_app
from viz.core import settings as settings_mod
from viz.protocol import LayerInfo, RenderResult

DESCRIPTION = ('StyleGAN3-T, 32x32, 3 channels', 'z 8, w 8, 6 ws, no classes', '1 parameter on cpu', 'G_ema of fake:net')
LAYERS = tuple(LayerInfo(f'L{i}_36_512', (1, 512, 36, 36), 512, 'float32', 16.0, 2.0, 2.83, 10) for i in range(14))


def described_render(gate: threading.Event | None = None):
    """fake_render with four description lines and 14 layers; a network other than fake:net first says it is
    loading and waits for `gate`."""
    def render(args, stamp, cancel, progress):
        if gate is not None and args.network.source != 'fake:net':
            progress(RenderResult(stamp=stamp, loading=f'Loading {args.network.source} on cpu...', args=args))
            gate.wait(20)
        result = fake_render(args, stamp, cancel, progress)
        return dataclasses.replace(result, network=dataclasses.replace(result.network, description=DESCRIPTION), layers=LAYERS)
    return render


def controls(recorder) -> dict:
    """The rectangles of the pane's controls (not plain text)."""
    return {key: rect for key, rect in recorder.rects.items() if '#text' not in key.rsplit('/', 1)[-1]}


def test_sections_open_by_default_and_as_left_at_the_last_run(xdisplay, tmp_path, monkeypatch):
    v = open_app(tmp_path, render=described_render())
    ui = Driver(v, monkeypatch)
    try:
        ui.frames_until(lambda: v.core.result is not None)
        assert v.open_sections == set(settings_mod.DEFAULT_OPEN_SECTIONS) == {'Network', 'Latent', 'Input transform'}
        assert ui.recorder.rects.get('Latent/##seed') and 'Equivariance/Compute EQ metrics##eqmetrics' not in ui.recorder.rects
        ui.click('Latent/Latent')                               # Close one, open another.
        ui.click('Equivariance/Equivariance')
        ui.frame()
        assert 'Equivariance/Compute EQ metrics##eqmetrics' in controls(ui.recorder)
    finally:
        ui.close()
        v.close()
    saved = json.loads((tmp_path / 'config' / settings_mod.SETTINGS_FILE).read_text())
    assert saved['open_sections'] == ['Network', 'Input transform', 'Equivariance']
    v = open_app(tmp_path, render=described_render())
    ui = Driver(v, monkeypatch)
    try:
        ui.frames_until(lambda: v.core.result is not None)
        drawn = controls(ui.recorder)
        assert 'Equivariance/Compute EQ metrics##eqmetrics' in drawn and 'Latent/##seed' not in drawn
    finally:
        ui.close()
        v.close()


@pytest.mark.parametrize('size', [(1280, 800), (1600, 1000)])
def test_no_control_moves_while_a_network_loads(xdisplay, tmp_path, monkeypatch, size):
    settings_mod.save_settings(settings_mod.Settings(open_sections=('Network', 'Latent', 'Truncation & noise', 'Layers',
        'Equivariance', 'Performance')), tmp_path / 'config')
    gate = threading.Event()
    v = open_app(tmp_path, render=described_render(gate), window_size=size)
    ui = Driver(v, monkeypatch)
    try:
        ui.frames_until(lambda: v.core.result is not None and not v.core.render_pending())
        ui.frame()
        before = controls(ui.recorder)
        v.core.act('network', 'load', 'fake:other')
        ui.frames_until(lambda: v.core.loading is not None)
        for _ in range(3):
            ui.frame()
        during = controls(ui.recorder)
        gate.set()
        ui.frames_until(lambda: v.core.loading is None and v.core.result.args.network.source == 'fake:other')
        ui.frame()
        after = controls(ui.recorder)
    finally:
        gate.set()
        ui.close()
        v.close()
    moved = {key: (before[key], during.get(key)) for key in before if key in during and during[key] != before[key]}
    assert not moved, f'controls moved while loading: {moved}'
    moved = {key: (before[key], after[key]) for key in before if after.get(key) != before[key]}
    assert not moved, f'controls moved by loading: {moved}'


def test_a_progress_bar_coming_and_going_moves_nothing(xdisplay, tmp_path, monkeypatch):
    settings_mod.save_settings(settings_mod.Settings(open_sections=('Equivariance', 'Spectrum', 'Performance')), tmp_path / 'config')
    from tests.viz.imgui.test_app import FakeRenderer
    v = open_app(tmp_path, render=FakeRenderer(chunk_seconds=0.3))
    ui = Driver(v, monkeypatch)
    try:
        ui.frames_until(lambda: v.core.result is not None and not v.core.render_pending())
        ui.frame()
        before = controls(ui.recorder)
        v.core.act('analysis', 'set', metrics_samples=3)
        ui.click('Equivariance/Compute EQ metrics##eqmetrics')
        ui.frames_until(lambda: (s := v.core.command_status('metrics')) is not None and s.state == 'running' and s.done >= 1)
        during = controls(ui.recorder)
        ui.frames_until(lambda: v.core.command_status('metrics').finished)
        after = controls(ui.recorder)
    finally:
        ui.close()
        v.close()
    below = [key for key in before if key.startswith(('Spectrum/', 'Performance/'))]
    moved = {key: (before[key], during[key], after[key]) for key in below if not during[key] == before[key] == after[key]}
    assert below and not moved, moved


def test_the_wheel_scrolls_the_pane_over_the_layer_table(xdisplay, tmp_path, monkeypatch):
    settings_mod.save_settings(settings_mod.Settings(open_sections=('Network', 'Latent', 'Layers', 'Performance')), tmp_path / 'config')
    v = open_app(tmp_path, render=described_render(), window_size=(1280, 800))
    ui = Driver(v, monkeypatch)
    try:
        ui.frames_until(lambda: v.core.result is not None and not v.core.render_pending())
        ui.frame()
        for label in ('Network/Network', 'Latent/Latent'):          # The layer table up to the middle of the window.
            ui.click(label)
        x0, y0, x1, y1 = ui.rect('L3_36_512##layer')
        header = ui.rect('Layers/Layers')[1]
        ui.move(x0 + 5, (y0 + y1) / 2)
        ui.scroll(-2.0)
        ui.frame()
        moved = ui.rect('L3_36_512##layer')[1] - y0
        assert moved < -20 and ui.rect('Layers/Layers')[1] - header == moved   # The whole pane moved up, the table with it.
    finally:
        ui.close()
        v.close()
