"""The directions section in imgui's headless context against a real ViewCore with a FakeWorker: each control's action
on the controller, the request and the commands it starts."""

import numpy as np
import pytest

from tests.viz.fakes import summary
from tests.viz.imgui.harness import assert_every_control_pressed
from viz.imgui.views import DirectionsView
from viz.protocol import DirectionsInfo, ExportLatentCommand, PcaCommand, SaveDirectionsCommand, ThumbnailsCommand

INFO = DirectionsInfo(names=('SeFa 0', 'SeFa 1', 'SeFa 2'), sigmas=(0.5, 0.4, 0.3))


def state(core):
    return core.controllers['directions'].state


def shown_with_directions(gui, **info):
    gui.show(DirectionsView())
    gui.deliver(network=summary(num_ws=16), directions=DirectionsInfo(**{**INFO.__dict__, **info}))
    return gui.core


def test_basis_buttons_range_and_keep_pose(gui):
    core = shown_with_directions(gui)
    for basis, text in (('sefa', 'SeFa'), ('pca', 'PCA'), ('pose', 'Pose'), ('file', 'File'), ('none', 'None')):
        gui.click(f'{text}##basis')
        assert core.worker.last_args.directions.basis == basis
    gui.type_text('##first', '2')
    gui.type_text('##last', '6')
    assert (core.worker.last_args.directions.first, core.worker.last_args.directions.last) == (2, 6)
    gui.click('Keep pose')
    assert core.worker.last_args.directions.keep_pose
    gui.type_text('##dir_file', '/data/smile.npy', enter=False)
    gui.click('Load##dir_file')
    assert (state(core).basis, state(core).source) == ('file', '/data/smile.npy')


def test_sliders_names_reset_and_commands(gui):
    core = shown_with_directions(gui)
    core.act('directions', 'set_basis', 'sefa')
    gui.drag('##s1/##slider', dx=60)
    strengths = core.worker.last_args.directions.strengths
    assert len(strengths) == 2 and strengths[0] == 0 and strengths[1] > 0.5
    gui.click('##s1/Reset')
    assert core.worker.last_args.directions.strengths == ()
    gui.drag('##s0/##slider', dx=-40)
    assert core.worker.last_args.directions.strengths[0] < 0
    gui.click('Reset strengths')
    assert state(core).strengths == ()
    gui.click('Compute PCA')
    assert isinstance(core.worker.last_command[1], PcaCommand) and state(core).basis == 'pca'
    gui.click('Cancel##pca')
    assert core.worker.cancelled == [core.worker.last_command[0]]
    gui.click('Thumbnails')
    assert isinstance(core.worker.last_command[1], ThumbnailsCommand) and core.worker.last_args.directions.thumbnails
    gui.click('Show##thumbnails')
    assert not core.worker.last_args.directions.thumbnails
    gui.type_text('##k1', 'smile')
    assert state(core).names == ('', 'smile') and gui.drawn('##k1')
    gui.click('Save set')
    command = core.worker.last_command[1]
    assert isinstance(command, SaveDirectionsCommand) and command.names == ('', 'smile')


def test_latents_import_step_clear_and_export(gui, tmp_path):
    core = shown_with_directions(gui, latent_count=3)
    gui.type_text('##latents', '/data/projected_w.npz')
    assert core.worker.last_args.directions.latents == '/data/projected_w.npz'
    gui.click('Import')
    gui.deliver(network=summary(num_ws=16), directions=DirectionsInfo(latent_count=3))
    for expected in (1, 2, 2):
        gui.click('Next##latents')
        assert state(core).latent_index == expected
    gui.click('Prev##latents')
    assert core.worker.last_args.directions.latent_index == 1
    assert gui.shown('2 of 3')
    gui.click('Clear##latents')
    assert core.worker.last_args.directions.latents == ''
    gui.click('Export W+')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, ExportLatentCommand) and command.folder == str(tmp_path / 'captures')
    path = str(tmp_path / 'captures' / 'w-00001.npz')
    gui.status(command_id, 'done', path=path)
    assert core.script.endswith(f'--network builtin:sg3-t --w {path} --noise-mode const --outdir out')
    gui.frame()
    assert core.clipboard_request is None       # Copied by the view.
    import imgui
    assert imgui.get_clipboard_text() == core.script
    assert gui.shown(f'W+ saved to {path}')


def test_every_control_was_pressed(request, gui):
    def prepare(gui):
        gui.core.act('directions', 'import_latents', '/data/w.npz')
        gui.deliver(network=summary(num_ws=16), directions=INFO)
    assert_every_control_pressed(request, gui, [DirectionsView()], prepare)
