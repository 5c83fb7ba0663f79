"""Shared fixtures: a virtual X server for GUI tests, and a per-test config folder."""

import ctypes
import os
import shutil
import signal
import subprocess
import sys

import pytest

XVFB_SCREEN = '1600x1000x24'


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies, even if it is killed or crashes."""
    if sys.platform.startswith('linux'):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@pytest.fixture(scope='session')
def xdisplay():
    """Start Xvfb on a free display number (it picks one and reports it via -displayfd), set DISPLAY, yield it."""
    if shutil.which('Xvfb') is None:
        pytest.skip('Xvfb is not installed: GUI tests need it (install with scripts/system-packages.sh)')
    read_fd, write_fd = os.pipe()
    # -noreset: without it the server resets whenever its last client disconnects, and a window opened
    # during the reset fails to connect.
    proc = subprocess.Popen(['Xvfb', '-displayfd', str(write_fd), '-screen', '0', XVFB_SCREEN, '-nolisten', 'tcp', '-noreset'],
        pass_fds=[write_fd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    os.close(write_fd)
    buf = b''
    try:
        while not buf.endswith(b'\n'):
            chunk = os.read(read_fd, 16)
            if not chunk:
                raise RuntimeError(f'Xvfb exited with code {proc.wait()} before reporting its display number')
            buf += chunk
    finally:
        os.close(read_fd)
    old_display = os.environ.get('DISPLAY')
    display = ':' + buf.decode().strip()
    os.environ['DISPLAY'] = display
    yield display
    if old_display is None:
        os.environ.pop('DISPLAY', None)
    else:
        os.environ['DISPLAY'] = old_display
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def xdotool(xdisplay):
    """The xdotool executable, or skip."""
    path = shutil.which('xdotool')
    if path is None:
        pytest.skip('xdotool is not installed: end-to-end GUI tests need it (install with scripts/system-packages.sh)')
    return path


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A fresh per-user config folder for the visualizer (SG3_VIZ_CONFIG_DIR), so tests never touch ~/.config."""
    path = tmp_path / 'config'
    monkeypatch.setenv('SG3_VIZ_CONFIG_DIR', str(path))
    return path
