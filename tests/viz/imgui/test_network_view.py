"""The network section in imgui's headless context, against a real ViewCore with a FakeWorker: the source entry, the
built-in demos, the recent and published lists, the file browser popup (mouse and keyboard) and the system dialog
(a stand-in `zenity` script on PATH). Real input through imgui's IO; assertions on the request the core submits."""

from __future__ import annotations

import os
import pathlib
import re
import stat
import time

import imgui
import pytest

from tests.viz.fakes import summary
from tests.viz.coverage import assert_all_used, run_after_the_others
from tests.viz.imgui.harness import PRESSED
from viz.core import published
from viz.core.texts import UNTRAINED_HELP
from viz.imgui.browser import TITLE
from viz.imgui.views import NetworkView
from viz.protocol import NetworkArgs

EXTRA_KEYS = (imgui.KEY_ESCAPE, imgui.KEY_UP_ARROW, imgui.KEY_DOWN_ARROW)


@pytest.fixture()
def gui(gui):
    """The harness with Escape and the arrows mapped too."""
    io = imgui.get_io()
    for idx, key in enumerate(EXTRA_KEYS):
        io.key_map[key] = 110 + idx
    return gui


def state(core):
    return core.network.state


def source(core):
    return core.worker.last_args.network.source


def make_folder(tmp_path: pathlib.Path) -> pathlib.Path:
    """nets/ with two networks, a JSON file, a text file, a hidden file and a subfolder holding a third network."""
    folder = tmp_path / 'nets'
    (folder / 'sub').mkdir(parents=True)
    for name in ('b.pkl', 'a.safetensors', 'notes.txt', '.hidden.pkl', 'sub/c.pkl'):
        (folder / name).write_bytes(b'x')
    return folder


def entries(gui) -> list[str]:
    """The browser's rows as drawn in the last frame, top down ('Network/sub/##entry' -> 'sub/')."""
    rows = sorted((rect[1], key) for key, rect in gui.recorder.rects.items() if key.endswith('##entry'))
    return [key[len('Network/'):-len('##entry')] for _y, key in rows]

# ----------------------------------------------------------------------------
# Entry, built-ins, recent list.


def test_typed_path_goes_out_with_an_inline_note_and_the_load_error(gui):
    core = gui.show(NetworkView()).core
    assert core.worker.last_args.network == NetworkArgs(source='builtin:sg3-t')
    gui.type_text('##source', '/no/such/net.pkl')
    assert core.worker.last_args.network == NetworkArgs(source='/no/such/net.pkl')
    # The note shows inline, and the request still goes out; the renderer's error shows too.
    assert gui.shown('No such file: /no/such/net.pkl')
    gui.deliver(error="network '/no/such/net.pkl': no such file")
    assert gui.shown("Cannot load: network '/no/such/net.pkl': no such file")
    # Typed without Enter: nothing happens until Load.
    gui.type_text('##source', 'builtin:sg3-t', enter=False)
    assert state(core).source == '/no/such/net.pkl'
    gui.click('Load')
    assert source(core) == 'builtin:sg3-t'
    # A loaded network is described; a built-in one is called an untrained demo.
    gui.deliver(network=summary(description=('stylegan3-t, 256x256', '16 ws')))
    assert gui.shown('16 ws') and not gui.shown('Cannot load') and gui.shown(f'Untrained demo: {UNTRAINED_HELP}')
    gui.type_text('##source', '/data/x.pkl')
    gui.deliver(network=summary(source='/data/x.pkl', description=('stylegan3-t, 256x256',)))
    assert not gui.shown('Untrained demo')


def test_builtin_buttons_are_labelled_untrained_key_and_loading_text(gui):
    core = gui.show(NetworkView()).core
    assert gui.shown('(untrained demos)')
    for name in ('sg2', 'sg3-r', 'sg3-t'):
        gui.click(name)
        assert source(core) == f'builtin:{name}'
    gui.hover('sg2')
    assert gui.shown(UNTRAINED_HELP)
    gui.type_text('Key##network', 'G')
    assert core.worker.last_args.network == NetworkArgs(source='builtin:sg3-t', key='G')
    gui.type_text('Key##network', ' ')
    assert core.worker.last_args.network.key is None           # Blank = the loader's default.
    core.worker.post(loading='Loading builtin:sg3-t on cpu...')
    gui.frame()
    assert gui.shown('Loading builtin:sg3-t on cpu...')


def test_recent_list_and_escape_closes_it_without_picking(gui):
    core = gui.show(NetworkView()).core
    gui.click('##recent')                                       # Greyed out: nothing else loaded yet.
    assert not gui.drawn('/data/a.pkl')
    core.settings = core.settings.with_recent('/data/b.pkl').with_recent('/data/a.pkl').with_recent('builtin:sg3-t')
    gui.click('##recent')
    assert gui.drawn('/data/a.pkl') and not gui.drawn('builtin:sg3-t')   # The current network is not offered.
    where = gui.centre('/data/a.pkl')
    gui.press(imgui.KEY_ESCAPE)
    assert not gui.drawn('/data/a.pkl')                         # Closed ...
    io = imgui.get_io()
    io.mouse_pos = where                                        # ... and a click where the entry was picks nothing.
    gui.frame()
    io.mouse_down[0] = True
    gui.frame()
    io.mouse_down[0] = False
    gui.frame()
    assert source(core) == 'builtin:sg3-t'
    gui.press(imgui.KEY_ESCAPE)                                 # (The click opened the published list below.)
    gui.click('##recent')
    gui.click('/data/a.pkl')
    assert source(core) == '/data/a.pkl'

# ----------------------------------------------------------------------------
# NVIDIA's published networks.


def test_published_list_loads_the_url_under_the_base(gui, monkeypatch):
    monkeypatch.setenv(published.BASE_ENV, 'http://127.0.0.1:9/models')
    core = gui.show(NetworkView()).core
    gui.click('##published')
    net = published.parse('stylegan3-t-ffhqu-256x256.pkl', 'http://127.0.0.1:9/models')
    label = f'{net.label}##{net.name}'
    assert gui.drawn(label) and len([k for k in gui.recorder.rects if '##stylegan' in k]) == len(published.FILES)
    gui.hover(label)
    assert gui.shown(net.url)
    gui.press(imgui.KEY_ESCAPE)
    assert not gui.drawn(label) and source(core) == 'builtin:sg3-t'
    gui.click('##published')
    gui.click(label)
    assert source(core) == 'http://127.0.0.1:9/models/stylegan3-t-ffhqu-256x256.pkl'
    core.worker.post(loading=f'Downloading {net.url}: 1.0 of 2.0 MB (50%)')
    gui.frame()
    assert gui.shown('(50%)')

# ----------------------------------------------------------------------------
# The file browser.


def open_browser(gui, folder) -> None:
    gui.core.act('network', 'set_browse_dir', str(folder))
    gui.click('Open...')
    assert gui.shown(TITLE) or gui.drawn('##browser_path')


def test_browser_lists_folders_and_openable_files_and_opens_a_network_with_a_click(gui, tmp_path):
    folder = make_folder(tmp_path)
    core = gui.show(NetworkView()).core
    open_browser(gui, folder)
    assert entries(gui) == ['../', 'sub/', 'a.safetensors', 'b.pkl']      # No text file, no hidden file.
    gui.click('sub/##entry')                                              # A folder: entered.
    assert state(core).browse_dir == str(folder / 'sub') and entries(gui) == ['../', 'c.pkl']
    gui.click('Up##browser')
    assert state(core).browse_dir == str(folder)
    (folder / 'd.pkl').write_bytes(b'x')
    gui.frame()
    assert 'd.pkl' not in entries(gui)                                    # Listed once, not every frame ...
    gui.click('Refresh##browser')
    assert 'd.pkl' in entries(gui)                                        # ... until Refresh.
    gui.click('b.pkl##entry')                                             # A file: opened, and the popup closes.
    assert source(core) == str(folder / 'b.pkl') and not gui.drawn('##browser_path')
    assert core.settings.recent_folders[:1] == (str(folder),)


def test_browser_keyboard_typed_path_arrows_enter_and_escape(gui, tmp_path):
    folder = make_folder(tmp_path)
    core = gui.show(NetworkView()).core
    open_browser(gui, tmp_path)
    gui.type_text('##browser_path', 'nets')                              # Relative to the folder shown: goes there.
    assert state(core).browse_dir == str(folder)
    gui.type_text('##browser_path', 'missing.pkl')
    assert gui.shown(f'No such file or folder: {folder / "missing.pkl"}') and source(core) == 'builtin:sg3-t'
    gui.click('Refresh##browser')
    # The first file is selected; Down moves to the next, Enter opens it.
    gui.press(imgui.KEY_DOWN_ARROW)
    gui.press(imgui.KEY_ENTER)
    assert source(core) == str(folder / 'b.pkl') and not gui.drawn('##browser_path')
    # Up from the first file to the folder above it, and Enter enters it; a typed file path opens the file.
    gui.click('Open...')
    gui.press(imgui.KEY_UP_ARROW)
    gui.press(imgui.KEY_ENTER)
    assert state(core).browse_dir == str(folder / 'sub')
    gui.type_text('##browser_path', str(folder / 'a.safetensors'))
    assert source(core) == str(folder / 'a.safetensors') and not gui.drawn('##browser_path')
    # Escape and Cancel close it without opening anything.
    gui.click('Open...')
    gui.press(imgui.KEY_ESCAPE)
    assert not gui.drawn('##browser_path')
    gui.click('Open...')
    gui.click('Cancel##browser')
    assert not gui.drawn('##browser_path') and source(core) == str(folder / 'a.safetensors')


def test_browser_opens_sessions_and_recent_folders(gui, tmp_path):
    folder = make_folder(tmp_path)
    core = gui.show(NetworkView()).core
    core.act('latent', 'set', x=7.0)
    assert core.save_session(str(folder / 'view.json'))
    core.act('latent', 'set', x=1.0)
    open_browser(gui, folder)
    gui.click('view.json##entry')                                         # A session: loaded.
    assert core.controllers['latent'].state.x == 7.0 and core.message.text.startswith('Session loaded')
    core.settings = core.settings.with_recent_folder(str(folder / 'sub'))
    core.act('network', 'set_browse_dir', str(tmp_path))
    gui.click('Open...')
    gui.click('##browser_recent')
    gui.click(f'{folder / "sub"}##recent_folder')
    assert state(core).browse_dir == str(folder / 'sub')
    gui.click('Open##browser')                                            # Opens the selected file.
    assert source(core) == str(folder / 'sub' / 'c.pkl')


def frames_until(gui, condition, seconds: float = 20.0) -> None:
    """Draw frames (a few milliseconds apart) until condition() holds or `seconds` pass: the dialog is another process."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        gui.frame()
        time.sleep(0.005)


def test_system_dialog_runs_beside_the_window_and_opens_its_choice(gui, tmp_path, monkeypatch):
    folder = make_folder(tmp_path)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    script = bin_dir / 'zenity'
    # A stand-in for zenity: records its arguments, waits for a go file, prints the choice.
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\nwhile [ ! -e {tmp_path}/go ]; do sleep 0.02; done\n'
        f'cat {tmp_path}/go\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    core = gui.show(NetworkView()).core
    core.act('network', 'set_browse_dir', str(folder))
    gui.click('System dialog...')
    frames_until(gui, lambda: (tmp_path / 'args').exists() and (tmp_path / 'args').read_text().strip())  # The window keeps drawing.
    assert '--file-selection' in (tmp_path / 'args').read_text() and f'--filename={folder}/' in (tmp_path / 'args').read_text()
    assert source(core) == 'builtin:sg3-t'
    (tmp_path / 'go').write_text(str(folder / 'b.pkl') + '\n')
    frames_until(gui, lambda: source(core) != 'builtin:sg3-t')
    assert source(core) == str(folder / 'b.pkl')


def test_every_control_was_pressed(request, gui, tmp_path, monkeypatch):
    """Every control the section draws (closed, with its lists and with the browser open) was pressed by a test above."""
    run_after_the_others(request)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'zenity').write_text('#!/bin/sh\nexit 1\n')
    (bin_dir / 'zenity').chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    folder = make_folder(tmp_path)
    core = gui.show(NetworkView()).core
    core.settings = core.settings.with_recent('/data/a.pkl').with_recent_folder(str(folder / 'sub'))
    core.act('network', 'set_browse_dir', str(folder))
    for lists in ('##recent', '##published'):
        gui.click(lists)
        gui.press(imgui.KEY_ESCAPE)
    gui.click('Open...')
    gui.click('##browser_recent')

    def generic(name: str) -> str:
        """Names that vary with the data folded: browser rows, recent folders and networks, published networks."""
        name = re.sub(r'^Network/.*##(entry|recent_folder)$', r'Network/##\1', name)
        name = re.sub(r'^Network/.*##stylegan.*$', 'Network/##published entry', name)
        return re.sub(r'^Network//data/.*$', 'Network/##recent entry', name)
    assert_all_used(gui.seen, PRESSED, generic, 'pressed')
