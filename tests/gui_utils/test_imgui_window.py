"""ImguiWindow under Xvfb: ini file location, shipped fonts, UI scale that follows the window size."""

import os

import imgui
import numpy as np
import OpenGL.GL as gl
import pytest

from gui_utils import imgui_window


def run_frames(window, n, draw):
    pixels = None
    for _ in range(n):
        window.begin_frame()
        draw()
        pixels = window.end_frame(read_back=True)
    return pixels


def test_ini_file_lands_in_the_config_folder(xdisplay, tmp_path, monkeypatch):
    work = tmp_path / 'cwd'
    work.mkdir()
    monkeypatch.chdir(work)
    config = tmp_path / 'cfg' / 'nested'
    window = imgui_window.ImguiWindow(config_dir=config, title='test-ini', window_width=400, window_height=300, fps_limit=1000)
    assert window.context_kind == 'core' and b'Core Profile' in gl.glGetString(gl.GL_VERSION)

    def draw():
        imgui.begin('Panel')
        imgui.text('hello')
        imgui.end()
    run_frames(window, 3, draw)
    window.close()
    ini = config / 'imgui.ini'
    assert ini.is_file() and '[Window][Panel]' in ini.read_text()
    assert os.listdir(work) == []


def test_no_config_folder_means_no_ini_file(xdisplay, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    window = imgui_window.ImguiWindow(config_dir=None, title='test-no-ini', window_width=400, window_height=300, fps_limit=1000)

    def draw():
        imgui.begin('Panel')
        imgui.end()
    run_frames(window, 2, draw)
    window.close()
    assert os.listdir(tmp_path) == []


def test_text_is_drawn_with_the_shipped_font_and_scales_with_the_window(xdisplay):
    assert imgui_window.SANS_FONT.is_file() and imgui_window.MONO_FONT.is_file()
    assert (imgui_window.FONT_DIR / 'LICENSE-DejaVu.txt').is_file()
    window = imgui_window.ImguiWindow(title='test-font', window_width=600, window_height=400, fps_limit=1000)
    try:
        window.clear_color = (0, 0, 0, 1)
        heights = {}

        def draw():
            imgui.set_next_window_position(0, 0)
            imgui.set_next_window_size(*window.window_size)
            imgui.begin('Text', flags=imgui.WINDOW_NO_TITLE_BAR | imgui.WINDOW_NO_BACKGROUND)
            imgui.text('MMMMMMMMMM')
            heights[window.window_size] = imgui.get_text_line_height()
            imgui.end()
        small = run_frames(window, 2, draw)
        small_size = window.font_size
        window.set_size(1500, 950)
        for _ in range(20):                       # Xvfb has no window manager: the resize lands at once.
            if window.window_size == (1500, 950):
                break
            run_frames(window, 1, draw)
        big = run_frames(window, 2, draw)
        big_size = window.font_size
    finally:
        window.close()
    assert small_size == 14 and big_size > small_size
    assert heights[(1500, 950)] > heights[(600, 400)]
    # Text pixels: white-ish glyphs on black. The bigger font covers more rows.
    def text_rows(pixels):
        return int((pixels.max(axis=(1, 2)) > 128).sum())
    assert text_rows(small) > 5
    assert text_rows(big) > text_rows(small)


def test_font_size_for_window_is_clamped():
    assert imgui_window.font_size_for_window(100, 100) == 14
    assert imgui_window.font_size_for_window(10000, 10000) == 24
    assert imgui_window.font_size_for_window(1600, 1000) == pytest.approx(1600 / 85)


def test_key_pressed_and_released_between_frames_is_seen_for_one_frame(xdisplay):
    import glfw
    window = imgui_window.ImguiWindow(title='test-keys', window_width=300, window_height=200, fps_limit=1000)
    try:
        seen = []

        def frame():
            window.begin_frame()
            seen.append((imgui.is_key_pressed(glfw.KEY_A), imgui.is_key_down(glfw.KEY_A), imgui.get_io().key_ctrl))
            window.end_frame()
        frame()
        # Ctrl+A typed within one frame (as GLFW would call back while polling events).
        for key, action in [(glfw.KEY_LEFT_CONTROL, glfw.PRESS), (glfw.KEY_A, glfw.PRESS),
                            (glfw.KEY_A, glfw.RELEASE), (glfw.KEY_LEFT_CONTROL, glfw.RELEASE)]:
            window.on_key(window.glfw_window, key, 0, action, 0)
        frame()
        frame()
        # A key held across frames is released at once.
        window.on_key(window.glfw_window, glfw.KEY_A, 0, glfw.PRESS, 0)
        frame()
        window.on_key(window.glfw_window, glfw.KEY_A, 0, glfw.RELEASE, 0)
        frame()
        # xdotool's order: Ctrl down (a frame passes), A down, Ctrl up, A up: the frame sees Ctrl+A.
        window.on_key(window.glfw_window, glfw.KEY_LEFT_CONTROL, 0, glfw.PRESS, 0)
        frame()
        for key, action in [(glfw.KEY_A, glfw.PRESS), (glfw.KEY_LEFT_CONTROL, glfw.RELEASE), (glfw.KEY_A, glfw.RELEASE)]:
            window.on_key(window.glfw_window, key, 0, action, 0)
        frame()
        frame()
    finally:
        window.close()
    assert seen == [(False, False, False), (True, True, True), (False, False, False), (True, True, False), (False, False, False),
        (False, False, True), (True, True, True), (False, False, False)]


def test_mouse_pressed_and_released_between_frames_is_a_click(xdisplay, xdotool):
    """A click whose press and release both arrive before the next frame (a slow frame, a quick tap, scripted input)
    is still seen: that frame has the button down, the next one up (GLFW's sticky mouse buttons)."""
    import subprocess
    import time
    window = imgui_window.ImguiWindow(title='test-mouse-latch', window_width=300, window_height=200, fps_limit=1000)
    try:
        seen = []

        def frame():
            window.begin_frame()
            seen.append((imgui.is_mouse_clicked(0), imgui.is_mouse_down(0)))
            window.end_frame()
        frame()
        wid = subprocess.run([xdotool, 'search', '--name', 'test-mouse-latch'], capture_output=True, text=True, check=True).stdout.split()[0]
        subprocess.run([xdotool, 'mousemove', '--window', wid, '150', '100'], check=True)
        subprocess.run([xdotool, 'mousedown', '1'], check=True)
        subprocess.run([xdotool, 'mouseup', '1'], check=True)
        time.sleep(0.3)                 # Both events wait in the X queue: the next frame's poll reads them together.
        frame()
        frame()
    finally:
        window.close()
    assert seen == [(False, False), (True, True), (False, False)]
