"""GlfwWindow in a real window under Xvfb: core context, read-back, FPS cap, idling, close, no display."""

import threading
import time

import glfw
import numpy as np
import OpenGL.GL as gl
import pytest

from gui_utils import glfw_window, presentation


@pytest.fixture
def window(xdisplay):
    w = glfw_window.GlfwWindow(title='test-glfw-window', window_width=320, window_height=240, fps_limit=1000)
    yield w
    w.close()


def test_core_profile_context(window):
    assert window.context_kind == 'core'
    version = gl.glGetString(gl.GL_VERSION)
    assert version is not None and b'Core Profile' in version
    assert gl.glGetString(gl.GL_RENDERER) is not None
    assert window.framebuffer_size == (320, 240)
    assert window.window_size == (320, 240)


def test_read_pixels_returns_the_cleared_frame_top_row_first(window):
    window.clear_color = (1.0, 0.0, 0.0, 1.0)
    window.begin_frame()
    # Paint the top 10 rows green with a scissored clear (GL's origin is at the bottom left).
    gl.glEnable(gl.GL_SCISSOR_TEST)
    gl.glScissor(0, 240 - 10, 320, 10)
    gl.glClearColor(0.0, 1.0, 0.0, 1.0)
    gl.glClear(gl.GL_COLOR_BUFFER_BIT)
    gl.glDisable(gl.GL_SCISSOR_TEST)
    pixels = window.read_pixels()
    window.end_frame()
    assert pixels.shape == (240, 320, 3) and pixels.dtype == np.uint8
    assert (pixels[:10] == [0, 255, 0]).all()
    assert (pixels[10:] == [255, 0, 0]).all()


def test_fps_cap_holds(window):
    window.fps_limit = 30
    window.begin_frame()
    window.end_frame()
    start = time.perf_counter()
    frames = 0
    while time.perf_counter() - start < 1.0:
        window.begin_frame()
        window.end_frame()
        frames += 1
    elapsed = time.perf_counter() - start
    fps = frames / elapsed
    assert 24 <= fps <= 31, f'{fps:.1f} FPS with a cap of 30'


def test_idle_frames_sleep_until_an_event_arrives(window):
    window.fps_limit = 200
    window.idle_timeout = 0.3
    for _ in range(5):                       # Settle: idling starts after a few frames without input.
        window.begin_frame(idle=True)
        window.end_frame()
    start = time.perf_counter()
    window.begin_frame(idle=True)
    window.end_frame()
    idle_seconds = time.perf_counter() - start
    assert idle_seconds >= 0.25, f'an idle frame took only {idle_seconds * 1000:.0f} ms'

    # A wake-up from another thread (as the render worker does) ends the sleep early.
    timer = threading.Timer(0.05, window.wake)
    timer.start()
    start = time.perf_counter()
    window.idle_timeout = 5.0
    window.begin_frame(idle=True)
    window.end_frame()
    woken_seconds = time.perf_counter() - start
    timer.join()
    assert woken_seconds < 1.0, f'wake() did not end the idle sleep ({woken_seconds:.2f} s)'

    # A wake-up that arrives while a frame is being drawn makes the next frame skip its idle sleep.
    window.begin_frame(idle=True)
    window.wake()
    window.end_frame()
    start = time.perf_counter()
    window.begin_frame(idle=True)
    window.end_frame()
    assert time.perf_counter() - start < 1.0

    # Without idle the loop runs at the cap.
    start = time.perf_counter()
    for _ in range(10):
        window.begin_frame(idle=False)
        window.end_frame()
    assert time.perf_counter() - start < 0.5


def test_window_larger_than_the_screen_is_shrunk_to_fit(xdisplay):
    w = glfw_window.GlfwWindow(title='too-big', window_width=5000, window_height=300)
    try:
        assert w.window_size == (1600, 300)                   # The Xvfb screen is 1600x1000.
    finally:
        w.close()


def test_request_close_and_title(window):
    assert not window.should_close()
    window.title = 'renamed'
    assert window.title == 'renamed'
    window.request_close()
    assert window.should_close()


def test_fps_limit_must_be_positive(window):
    with pytest.raises(ValueError, match='fps_limit'):
        window.fps_limit = 0


def test_missing_display_gives_a_helpful_error(monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    with pytest.raises(glfw_window.DisplayUnavailableError, match='xvfb-run'):
        glfw_window.GlfwWindow(title='never')


def test_unreachable_display_gives_a_helpful_error(monkeypatch):
    monkeypatch.setenv('DISPLAY', ':59999')
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    with pytest.raises(glfw_window.DisplayUnavailableError, match='xvfb-run') as info:
        glfw_window.GlfwWindow(title='never')
    assert 'GLFW' in str(info.value)


def _settle(window, condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        window.begin_frame()
        window.end_frame()
    return condition()


def test_presentation_full_screen_fixed_size_and_back(window):
    monitor = glfw.get_primary_monitor()
    mode = glfw.get_video_mode(monitor)
    screen = (mode.size.width, mode.size.height)
    window.present(presentation.PresentTarget())
    assert _settle(window, lambda: window.window_size == screen), window.window_size
    assert glfw.get_window_monitor(window.glfw_window)
    window.present(presentation.PresentTarget(size=(400, 300)))
    assert _settle(window, lambda: window.window_size == (400, 300)), window.window_size
    assert not glfw.get_window_monitor(window.glfw_window) and not glfw.get_window_attrib(window.glfw_window, glfw.DECORATED)
    window.present(None)
    assert _settle(window, lambda: window.window_size == (320, 240)), window.window_size
    assert glfw.get_window_attrib(window.glfw_window, glfw.DECORATED)
    with pytest.raises(ValueError, match='monitor 7: this display has 1 monitor'):
        window.present(presentation.PresentTarget(monitor=7))


@pytest.mark.parametrize('text, expected', [('', presentation.PresentTarget()), ('0', presentation.PresentTarget(monitor=0)),
    ('2', presentation.PresentTarget(monitor=2)), ('1920x1080', presentation.PresentTarget(size=(1920, 1080)))])
def test_presentation_targets_parse(text, expected):
    assert presentation.PresentTarget.parse(text) == expected


@pytest.mark.parametrize('text', ['big', '10x10', '1280x', 'x720', '1e3x2'])
def test_bad_presentation_targets_name_what_was_expected(text):
    with pytest.raises(ValueError, match='expected a monitor number .0 = primary. or WIDTHxHEIGHT'):
        presentation.PresentTarget.parse(text)
