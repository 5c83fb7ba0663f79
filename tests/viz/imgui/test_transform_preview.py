"""The transform preview in the window (in-process under Xvfb, the real RenderWorker, a stand-in render function
that holds back renders of a new transform): the last image is drawn moved at once, grey where nothing is known,
tagged "preview"; the exact image replaces it; the setting turns it off."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from tests.viz.imgui.test_app import Driver, amber_pixels, fake_render, open_app, window_capture
from viz.core.preview import NEUTRAL_RGBA
from viz.imgui.image_area import scaled


class HeldRenderer:
    """fake_render; a request whose transform is not the identity waits (checking its cancel flag) for `release`."""

    def __init__(self):
        self.release = threading.Event()
        self.release.set()

    def __call__(self, args, stamp, cancel, progress):
        while not args.transform.is_identity() and not self.release.wait(0.005):
            if cancel.is_set():
                break
        result = fake_render(args, stamp, cancel, progress)
        if not args.transform.is_identity():                 # Something else than the identity image: its mirror.
            result = dataclasses.replace(result, image=np.ascontiguousarray(result.image[:, ::-1]))
        return result


def shown_pixels(ui, capture_dir) -> np.ndarray:
    """The image rectangle of a window capture, sampled at the centres of the 32 x 32 image pixels."""
    v = ui.v
    x, y, w, h = v.area.view.image_rect(scaled(v._image_area(), v.window.framebuffer_scale), v.area.image_size)
    z = w // 32
    return window_capture(ui, capture_dir)[y + z // 2:y + h:z, x + z // 2:x + w:z]


@pytest.fixture
def held(xdisplay, tmp_path, monkeypatch):
    renderer = HeldRenderer()
    v = open_app(tmp_path, render=renderer)
    ui = Driver(v, monkeypatch)
    ui.frames_until(lambda: v.core.result is not None and not v.core.render_pending())
    ax, ay, aw, ah = v._image_area()
    ui.move(ax + 10, ay + ah + 5)                           # Over the status bar: no tooltip over the image.
    yield ui, renderer, tmp_path / 'captures'
    renderer.release.set()
    ui.close()
    v.close()


def test_a_translation_shows_the_last_image_moved_then_the_exact_one(held):
    ui, renderer, captures = held
    v, core = ui.v, ui.v.core
    original = core.shown_image.copy()
    ax, ay, aw, ah = v._image_area()
    corner = (ax + aw - 12 * v.window.font_size, ay + ah - 3 * v.window.font_size, ax + aw, ay + ah)
    assert amber_pixels(ui, captures, corner) == 0

    # A quarter of the image to the right, held back: the old image moves 8 of 32 pixels, grey fills the gap.
    renderer.release.clear()
    core.act('transform', 'set', x=0.25)
    ui.frame()
    assert core.render_pending() and core.preview_warp() is not None and v._drew_preview
    shown = shown_pixels(ui, captures)
    grey = round(NEUTRAL_RGBA[0] * 255)
    assert np.abs(shown[:, :8].astype(int) - grey).max() <= 1
    assert np.array_equal(shown[:, 8:], original[:, :24])
    assert amber_pixels(ui, captures, corner) > 20                                    # The "preview" tag.

    # The exact render replaces it.
    renderer.release.set()
    ui.frames_until(lambda: not core.render_pending())
    assert core.preview_warp() is None and not v._drew_preview
    assert np.array_equal(shown_pixels(ui, captures), core.shown_image) and np.array_equal(core.shown_image, original[:, ::-1])
    assert amber_pixels(ui, captures, corner) == 0


def test_with_the_setting_off_the_last_image_stays_until_the_exact_one(held):
    ui, renderer, captures = held
    core = ui.v.core
    original = core.shown_image.copy()
    ui.v.core.act('performance', 'set', transform_preview=False)
    renderer.release.clear()
    core.act('transform', 'set', x=0.25)
    ui.frame()
    assert core.render_pending() and core.preview_warp() is None and not ui.v._drew_preview
    assert np.array_equal(shown_pixels(ui, captures), original)
