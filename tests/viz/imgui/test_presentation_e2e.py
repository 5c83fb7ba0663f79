"""End-to-end: presentation mode in the real window of both front ends (the app under Xvfb): the image alone in a borderless window of
the asked size, F11 back to the pane and the window as it was, F11 and Escape again."""

import subprocess
import time

import pytest

from tests.viz.imgui.e2e import quit_cleanly, rendered, start, submitted, xdo


def window_size(app, expected, timeout=10.0):
    """The X window's size once it is `expected` (or whatever it is after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(['xdotool', 'getwindowgeometry', '--shell', str(app.wid)], check=True, capture_output=True, text=True).stdout
        g = dict(line.split('=', 1) for line in out.split())
        size = int(g['WIDTH']), int(g['HEIGHT'])
        if size == expected or time.monotonic() > deadline:
            return size
        time.sleep(0.1)


@pytest.mark.parametrize('ui', ['imgui', 'tk'])
def test_present_fixed_size_then_f11_and_escape(xdisplay, xdotool, tiny_network, tmp_path, ui):
    app = start(tmp_path, tiny_network, '--ui', ui, '--present', '960x540')
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: True), what='first request')
        app.wait_for(rendered(stamp), what='first render')
        app.wait_for(lambda line: line.startswith('VIEW ') and 'clip=[0, 0, 960, 540]' in line, what='the image filling 960x540')
        assert window_size(app, (960, 540)) == (960, 540)
        if ui == 'imgui':
            assert app.item('Help (F1)') is None                # No pane was ever drawn.
        mark = app.mark()
        xdo('key', 'F11')                                       # Back: pane, status bar, the window's own size.
        app.wait_for(lambda line: line.startswith('VIEW ') and 'clip=[0, 0, ' not in line, start=mark, what='the image beside the pane')
        assert window_size(app, (1280, 800)) == (1280, 800)
        mark = app.mark()
        xdo('key', 'F11')
        app.wait_for(lambda line: line.startswith('VIEW ') and 'clip=[0, 0, 960, 540]' in line, start=mark, what='presentation again')
        mark = app.mark()
        xdo('key', 'Escape')
        app.wait_for(lambda line: line.startswith('VIEW ') and 'clip=[0, 0, ' not in line, start=mark, what='Escape leaves')
        quit_cleanly(app)
    finally:
        app.close()
