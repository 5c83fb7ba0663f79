"""The Tk directions panel in a real Tk root under Xvfb, against a real ViewCore with a FakeWorker: every control used
through its widget, with assertions on the controller, the request it submits, the commands it starts, the text
shown and the clipboard. The last test checks that every control of the panel was used by one of the others."""

from __future__ import annotations

import re

import pytest

from tests.viz.coverage import assert_all_used, run_after_the_others
from tests.viz.fakes import summary
from tests.viz.tk.harness import TOUCHED
from viz.core.controllers.directions import SHOWN_SLIDERS
from viz.protocol import DirectionsInfo, ExportLatentCommand, PcaCommand, SaveDirectionsCommand, ThumbnailsCommand
from viz.tk.panels import DirectionsPanel

INFO = DirectionsInfo(names=('SeFa 0', 'SeFa 1', 'SeFa 2'), sigmas=(0.5, 0.4, 0.3))


def state(core):
    return core.controllers['directions'].state


def request(core):
    return core.worker.last_args.directions


def shown(pane, **info):
    core = pane.show(DirectionsPanel).core
    pane.deliver(network=summary(num_ws=16), directions=DirectionsInfo(**{**INFO.__dict__, **info}))
    return core


def test_basis_file_range_and_keep_pose(pane, tmp_path):
    core = shown(pane)
    for basis in ('sefa', 'pca', 'pose', 'file', 'none'):
        pane.press(f'basis:{basis}')
        assert request(core).basis == basis
    pane.type('first', '2')
    pane.type('last', '6')
    assert (request(core).first, request(core).last) == (2, 6)
    pane.type('last', '16')                                     # The end: no upper bound.
    assert (request(core).first, request(core).last) == (2, None)
    pane.type('first', '40')                                    # Clamped to the network's num_ws.
    assert request(core).first == 15
    pane.press('keep pose')
    assert request(core).keep_pose
    pane.type('file', '/data/smile.npy', key=None)              # Typed without Return: not loaded yet.
    assert state(core).basis == 'none'
    pane.press('Load')
    assert (request(core).basis, request(core).source) == ('file', '/data/smile.npy')
    pane.type('file', '/data/age.npz')
    assert request(core).source == '/data/age.npz'
    pane.answers.append(str(tmp_path / 'pose.npy'))
    pane.press('file:open')
    assert request(core).source == str(tmp_path / 'pose.npy') and pane.dialogs[-1][1]['filetypes'][0] == ('Arrays', '*.npy *.npz')
    pane.press('file:open')                                     # Cancelled: nothing changes.
    assert request(core).source == str(tmp_path / 'pose.npy')
    pane.type('file', ' ')                                      # Shown over the image; nothing changes.
    assert core.message.error and 'direction file: expected the path of a .npy or .npz file' in core.message.text
    assert request(core).source == str(tmp_path / 'pose.npy')


def test_sliders_names_reset_and_the_rows_that_show(pane):
    core = shown(pane)
    rows = [pane.widget(f's {k}').winfo_ismapped() for k in range(SHOWN_SLIDERS)]
    assert rows == [True] * 3 + [False] * (SHOWN_SLIDERS - 3)  # One row per direction of the basis.
    pane.slide('s 1', 2.5)
    assert request(core).strengths == (0.0, 2.5) and pane.shown('+2.50 sigma')
    pane.press('s 1:reset')
    assert request(core).strengths == () and not pane.enabled('s 1:reset')
    pane.slide('s 0', -4.0)
    pane.slide('s 2', 1.0)
    assert request(core).strengths == (-4.0, 0.0, 1.0)
    pane.press('Reset strengths')
    assert state(core).strengths == () and not pane.enabled('Reset strengths')
    pane.type('name 1', 'smile')
    assert state(core).names == ('', 'smile') and pane.text('name 1') == 'smile' and pane.text('name 0') == 'SeFa 0'
    pane.deliver(network=summary(num_ws=16), directions=DirectionsInfo(names=tuple(f'PC {i}' for i in range(12)), sigmas=(1.0,) * 12))
    assert all(pane.widget(f's {k}').winfo_ismapped() for k in range(SHOWN_SLIDERS))   # The first ten of twelve.
    for k in range(SHOWN_SLIDERS):                               # Every slider and name field drives its own direction.
        pane.slide(f's {k}', 0.5 + k * 0.25)
        pane.press(f's {k}:reset') if k % 2 else None
        pane.type(f'name {k}', f'n{k}')
    assert request(core).strengths == tuple(0.0 if k % 2 else 0.5 + k * 0.25 for k in range(SHOWN_SLIDERS - 1))
    assert state(core).names == tuple(f'n{k}' for k in range(SHOWN_SLIDERS))
    pane.deliver(network=summary(num_ws=16), directions=DirectionsInfo())
    assert not pane.widget('s 0').winfo_ismapped() and not pane.widget('Save set').winfo_ismapped()


def test_pca_thumbnails_show_and_save_commands(pane, tmp_path):
    core = shown(pane, note='PCA on W (10000 samples, seed 0) is not computed yet: press Compute PCA.')
    assert pane.shown('is not computed yet: press Compute PCA.')
    pane.press('pca')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, PcaCommand) and command.samples == 10_000 and state(core).basis == 'pca'
    assert pane.widget('pca').cget('text') == 'Cancel'
    pane.status(command_id, 'running', done=3000, total=10_000, seconds=1.0)
    assert pane.shown('3000 / 10000')
    pane.press('pca')                                           # Cancel.
    assert core.worker.cancelled == [command_id]
    pane.status(command_id, 'cancelled')
    assert pane.widget('pca').cget('text') == 'Compute PCA'
    pane.press('thumbnails')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, ThumbnailsCommand) and request(core).thumbnails
    pane.status(command_id, 'done', done=3, total=3, seconds=0.5)
    assert pane.shown('Done: 3 / 3')
    pane.press('show thumbnails')
    assert not request(core).thumbnails
    pane.press('show thumbnails')
    assert request(core).thumbnails
    pane.type('name 2', 'age')
    pane.press('Save set')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, SaveDirectionsCommand) and command.names == ('', '', 'age') and command.folder == str(tmp_path / 'captures')
    pane.status(command_id, 'done', path=str(tmp_path / 'captures' / 'directions-00001.npz'))
    assert pane.shown(f'Direction set saved to {tmp_path / "captures" / "directions-00001.npz"}')


def test_latents_import_step_clear_and_export_to_the_clipboard(pane, tmp_path):
    core = shown(pane)
    assert not pane.enabled('Next') and pane.shown('none')
    pane.type('latents', '/data/projected_w.npz')
    assert request(core).latents == '/data/projected_w.npz'
    pane.deliver(network=summary(num_ws=16), directions=DirectionsInfo(latent_count=3))
    assert pane.enabled('Prev') and pane.shown('1 of 3')
    for expected in (1, 2, 2):                                  # Stops at the last.
        pane.press('Next')
        assert state(core).latent_index == expected
    pane.press('Prev')
    assert request(core).latent_index == 1 and pane.shown('2 of 3')
    pane.press('Clear')
    assert request(core).latents == '' and not pane.enabled('Clear') and pane.text('latents') == ''
    pane.type('latents', '/data/w.npy', key=None)
    pane.press('Import')
    assert (request(core).latents, request(core).latent_index) == ('/data/w.npy', 0)
    pane.answers.append(str(tmp_path / 'many.npz'))
    pane.press('latents:open')
    assert request(core).latents == str(tmp_path / 'many.npz')
    core.act('transform', 'set', x=0.25, scale=2.0)
    pane.press('Export W+')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, ExportLatentCommand) and command.folder == str(tmp_path / 'captures')
    path = str(tmp_path / 'captures' / 'w-00001.npz')
    pane.status(command_id, 'done', path=path)
    assert f'--w {path}' in core.script and '--translate 0.25,0.0' in core.script and '--scale 2.0' in core.script
    assert pane.root.clipboard_get() == core.script and core.clipboard_request is None
    assert pane.shown(f'W+ saved to {path}')
    (tmp_path / 'a-file').write_bytes(b'x')
    core.act('capture', 'set', folder=str(tmp_path / 'a-file'))
    pane.press('Export W+')                                     # Refused, with why (over the image).
    assert core.message.error and 'is a file, not a folder' in core.message.text and core.worker.last_command[0] == command_id


def test_every_control_was_used(request, pane):
    run_after_the_others(request)
    core = shown(pane)
    core.act('directions', 'import_latents', '/data/w.npz')
    pane.frame()
    controls = [f'Directions/{name}' for name in pane.panels['Directions'].controls]
    assert_all_used(controls, TOUCHED, lambda name: re.sub(r' \d+(:reset)?$', r' *\1', name), 'touched')
