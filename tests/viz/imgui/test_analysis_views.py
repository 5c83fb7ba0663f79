"""The equivariance and spectrum views in imgui's headless context, drawn against a real ViewCore: real clicks
through imgui's IO, assertions on the analysis controller's state, the requests and the background commands
the core starts and cancels, and on the text drawn from command statuses and from real renderer results."""

from __future__ import annotations

import math

import imgui
import numpy as np
import pytest
import torch

from tests.viz.fakes import FakeWorker, sg2_summary, summary
from tests.viz.imgui.harness import Harness, assert_every_control_pressed, make_core
from viz.imgui.views import EquivarianceView, LayersView, SpectrumView
from viz.imgui.views.equivariance import MODE_HELP, format_psnr
from viz.protocol import (AnalysisResult, EquivarianceView as EqView, ExportSpectrumCommand, MetricsCommand,
    SpectrumAverageCommand)


def analysis(core):
    return core.controllers['analysis'].state


def eq_view(psnr: float, mode: str = 'eqt_frac', notes=()) -> EqView:
    return EqView(mode=mode, translate=(0.1, 0.0), angle_deg=0.0, psnr=psnr, mse=0.01, error_max=0.05,
        scale_max=0.05, error_map=np.zeros((4, 4), np.float32), mask=np.ones((4, 4), bool), notes=tuple(notes))


def psnr_shown(gui) -> str | None:
    """The PSNR text of the '##psnr' control drawn in the last frame (None if none)."""
    labels = [key.removeprefix('Equivariance/') for key in gui.recorder.rects if key.endswith('##psnr')]
    assert len(labels) <= 1
    return labels[0].split('##')[0] if labels else None


def spectrum_view():
    """A real spectrum view of a random image on a layer with f_c 4, f_t 8 at sampling rate 16."""
    from sg3 import spectra
    from viz.render import pictures
    spectrum = spectra.power_spectrum(torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(0)), sampling_rate=16)
    design = spectra.LayerDesign(name='L1', sampling_rate=16, cutoff=4.0, stopband=8.0, half_width=4.0, size=(16, 16),
        margin=0, nyquist=8.0, channels=3)
    _image, view = pictures.spectrum_view(spectrum, design, 'L1', 'this latent', None, (-40.0, 20.0))
    return view

# ----------------------------------------------------------------------------
# Equivariance view.


def test_mode_layout_and_scale_make_the_request(gui):
    core = gui.show(EquivarianceView()).core
    gui.click('EQ-T frac##eqmode')
    assert core.worker.last_args.analysis.eq_mode == 'eqt_frac'
    assert gui.shown(MODE_HELP['eqt_frac'])                    # The mouse is still over it.
    gui.click('##eqlayout')
    gui.click('Error##eqlayout')
    assert core.worker.last_args.analysis.eq_layout == 'error'
    gui.drag('##eqscalemax', dx=1000)                          # Greyed out while the scale is automatic.
    assert core.worker.last_args.analysis.eq_scale_max == 0.0 and analysis(core).eq_scale_max == 0.01
    gui.click('Auto##eqscale')
    assert core.worker.last_args.analysis.eq_scale_max == pytest.approx(0.01)
    gui.drag('##eqscalemax', dx=1000)
    assert core.worker.last_args.analysis.eq_scale_max == 4.0
    for label, mode in (('EQ-R', 'eqr'), ('EQ-T', 'eqt'), ('Off', 'off')):
        gui.click(f'{label}##eqmode')
        assert core.worker.last_args.analysis.eq_mode == mode


def test_psnr_number_notes_history_and_copy(gui):
    core = gui.show(EquivarianceView()).core
    gui.click('EQ-T frac##eqmode')
    gui.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(31.5, notes=('The scale is not part of the comparison.',))))
    assert psnr_shown(gui) == 'PSNR 31.50 dB' and gui.shown('The scale is not part of the comparison.')
    gui.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(math.inf)))
    assert psnr_shown(gui) == 'PSNR inf dB (identical)'
    gui.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(27.25)))
    assert psnr_shown(gui) == 'PSNR 27.25 dB'
    gui.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(math.nan)))
    assert psnr_shown(gui) == 'PSNR n/a (no valid pixels)'
    assert list(core.psnr_history) == [31.5, math.inf, 27.25]  # No valid pixels: no point.
    gui.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(27.25)))
    gui.click('PSNR 27.25 dB##psnr')
    assert imgui.get_clipboard_text() == '27.2500'
    # No heatmap in the result: no number.
    gui.deliver(network=summary(), analysis=AnalysisResult())
    assert psnr_shown(gui) is None
    # Switching the mode starts a new history.
    gui.click('EQ-R##eqmode')
    assert len(core.psnr_history) == 0


def test_stylegan2_greys_everything_out_with_the_reason(gui):
    core = gui.show(EquivarianceView()).core
    gui.deliver(network=sg2_summary())
    assert gui.shown('Not available: StyleGAN2 networks have no input transform.')
    gui.click('EQ-T##eqmode')
    gui.click('Compute EQ metrics##eqmetrics')
    assert analysis(core).eq_mode == 'off' and core.worker.started == []
    # The renderer's own reason greys it out too.
    gui.deliver(network=summary(), analysis=AnalysisResult(equivariance_unavailable='Not available: no transform here.'))
    gui.click('Compute EQ metrics##eqmetrics')
    assert gui.shown('Not available: no transform here.') and core.worker.started == []


def test_metrics_command_start_progress_cancel_and_table(gui):
    core = gui.show(EquivarianceView()).core
    gui.type_text('##eqsamples', '20')
    gui.type_text('##eqseed', '7')
    gui.click('Compute EQ metrics##eqmetrics')
    command_id, command, args = core.worker.last_command
    assert command == MetricsCommand(samples=20, seed=7) and args == core.worker.last_args
    assert gui.shown('Waiting to start...') and not gui.drawn('Compute EQ metrics##eqmetrics')
    gui.status(command_id, 'running', done=5, total=20, seconds=1.0)
    gui.click('Cancel##metrics')
    assert core.worker.cancelled == [command_id]
    gui.status(command_id, 'cancelled', done=6, total=20, psnr=(('eqt', 60.0), ('eqt_frac', 50.5), ('eqr', 20.25)))
    assert gui.shown('Cancelled after 6 / 20') and gui.shown('50.50 dB') and gui.shown('EQ-R')
    gui.click('Compute EQ metrics##eqmetrics')
    command_id, command, _ = core.worker.last_command
    assert command_id == 2
    gui.status(command_id, 'done', done=20, total=20, seconds=2.0, psnr=(('eqt', 61.0), ('eqt_frac', 52.0), ('eqr', math.inf)))
    assert gui.shown('Done: 20 / 20 in 2.0 s') and gui.shown('EQ-T_frac') and gui.shown('52.00 dB') and gui.shown('inf dB (identical)')
    gui.click('Compute EQ metrics##eqmetrics')
    gui.status(3, 'failed', error='out of memory')
    assert gui.shown('Failed: out of memory')
    # A command of another kind is not this view's.
    core.act('app', 'average_spectrum')
    gui.status(4, 'done', done=8, total=8)
    assert not gui.shown('Done: 8 / 8')

# ----------------------------------------------------------------------------
# Spectrum view, and the analysis state both views share.


def test_spectrum_settings_and_the_heatmap_exclude_each_other(gui):
    core = gui.show(EquivarianceView(), SpectrumView()).core
    assert gui.shown('of output (choose in Layers)')
    gui.click('Show spectrum##spectrum')
    a = core.worker.last_args.analysis
    assert a.spectrum and a.eq_mode == 'off'
    gui.type_text('dB##spectrumrange', '-60', fx=0.2)
    a = core.worker.last_args.analysis
    assert (a.spectrum_db_low, a.spectrum_db_high) == (-60, 20)
    gui.type_text('dB##spectrumrange', '-70', fx=0.8)          # The top stays above the bottom.
    a = core.worker.last_args.analysis
    assert (a.spectrum_db_low, a.spectrum_db_high) == (-60, -59)
    gui.drag('Kaiser beta##spectrum/##slider', dx=1000)
    assert core.worker.last_args.analysis.spectrum_beta == 20.0
    gui.click('Kaiser beta##spectrum/Reset')
    assert core.worker.last_args.analysis.spectrum_beta == 8.0
    gui.click('Selected in Layers##spectrumchannels')
    assert core.worker.last_args.analysis.spectrum_channels == 'selected'
    # Turning the heatmap on turns the spectrum off, and back.
    gui.click('EQ-T##eqmode')
    a = core.worker.last_args.analysis
    assert a.eq_mode == 'eqt' and not a.spectrum
    gui.click('Show spectrum##spectrum')
    a = core.worker.last_args.analysis
    assert a.spectrum and a.eq_mode == 'off' and a.spectrum_channels == 'selected'
    gui.click('All##spectrumchannels')
    assert core.worker.last_args.analysis.spectrum_channels == 'all'
    gui.click('Show spectrum##spectrum')
    assert not core.worker.last_args.analysis.spectrum


def test_spectrum_text_average_command_and_show_average(gui):
    core = gui.show(SpectrumView()).core
    gui.click('Show spectrum##spectrum')
    gui.deliver(network=summary(), analysis=AnalysisResult(spectrum=spectrum_view()))
    assert gui.shown('f_c 4  f_t 8  s/2 8 cycles per image (separable filter)') and gui.shown('L1, this latent')
    gui.deliver(network=summary(), analysis=AnalysisResult(spectrum_note='Layer L9 has no spectrum.'))
    assert gui.shown('Layer L9 has no spectrum.')

    gui.type_text('seeds##spectrumk', '3')
    gui.click('Average over K seeds##spectrumaverage')
    command_id, command, args = core.worker.last_command
    assert command == SpectrumAverageCommand(seeds=3)
    a = core.worker.last_args.analysis
    assert (a.spectrum, a.spectrum_average, a.average_seeds) == (True, True, 3)
    gui.click('Cancel##average')                               # Still queued: cancelled at once.
    assert core.worker.cancelled == [command_id] and gui.shown('Cancelled after 0 / 0')
    gui.click('Average over K seeds##spectrumaverage')
    command_id, _, _ = core.worker.last_command
    gui.status(command_id, 'running', done=1, total=3, seconds=0.5)
    submitted = len(core.worker.submitted)
    gui.status(command_id, 'done', done=3, total=3, seconds=1.5)
    assert gui.shown('Done: 3 / 3 in 1.5 s')
    assert len(core.worker.submitted) == submitted + 1          # The view is requested again, to show the average.
    assert core.worker.submitted[-1][1] == core.worker.submitted[-2][1]
    gui.click('Show average##spectrum')
    assert not core.worker.last_args.analysis.spectrum_average


def test_spectrum_export_into_the_capture_folder(gui, tmp_path):
    core = gui.show(SpectrumView()).core
    folder = str(tmp_path / 'captures')
    assert gui.shown(f'into {folder} (the capture folder)')
    gui.click('Save PNG figure##spectrum')                     # Greyed out: no spectrum shown.
    assert gui.shown('Turn on the spectrum view to export it') and core.worker.started == []
    gui.click('Show spectrum##spectrum')
    gui.deliver(network=summary(), analysis=AnalysisResult(spectrum=spectrum_view()))
    gui.click('Save .npz##spectrum')
    command_id, command, _ = core.worker.last_command
    assert command == ExportSpectrumCommand(format='npz', folder=folder)
    assert gui.shown('Saving...')
    gui.status(command_id, 'done', done=1, total=1, path=f'{folder}/spectrum-L1-00001.npz')
    assert gui.shown(f'Saved {folder}/spectrum-L1-00001.npz')
    gui.click('Save PNG figure##spectrum')
    command_id, command, _ = core.worker.last_command
    assert command == ExportSpectrumCommand(format='png', folder=folder)
    gui.status(command_id, 'failed', error='Could not export to /x: denied')
    assert gui.shown('Could not export to /x: denied')
    # An unusable capture folder greys the buttons out with the reason.
    (tmp_path / 'file').write_text('x')
    core.act('capture', 'set', folder=str(tmp_path / 'file'))
    gui.click('Save .npz##spectrum')
    assert gui.shown('is a file, not a folder') and len(core.worker.started) == 2


def test_views_show_what_the_real_renderer_returns(tmp_path, one_thread):
    from tests.viz.render.test_analysis import Loader
    from viz.render.renderer import Renderer
    core = make_core(tmp_path, FakeWorker(render_fn=Renderer(load_fn=Loader())), sources=('tiny:sg3',), device='cpu')
    gui = Harness(core)
    try:
        gui.show(EquivarianceView(), LayersView(), SpectrumView())
        core.act('transform', 'set', x=0.05)
        gui.click('EQ-T frac##eqmode')
        gui.frame()
        view = core.result.analysis.equivariance
        assert core.result.error is None and view.mode == 'eqt_frac'
        assert psnr_shown(gui) == f'PSNR {format_psnr(view.psnr)}'
        core.act('network', 'load', 'tiny:sg2')
        gui.frame()
        gui.frame()
        assert gui.shown('Not available: StyleGAN2 networks have no input transform.')
        core.act('network', 'load', 'tiny:sg3')
        gui.click('Show spectrum##spectrum')
        gui.click('L1_36_16##layer', fx=0.1)
        gui.frame()
        assert analysis(core).eq_mode == 'off' and analysis(core).spectrum
        assert core.result.args.layer.name == 'L1_36_16' and core.result.analysis.spectrum is not None
        assert gui.shown('f_c 4  f_t 8  s/2 8 cycles per image (separable filter)')
    finally:
        gui.close()
        core.close()


def test_every_control_was_pressed(request, gui):
    """Every control these views draw (idle, with commands running, with a heatmap and a spectrum) was pressed above."""
    def prepare(gui):
        core = gui.core
        core.act('analysis', 'set', eq_auto_scale=False)
        core.act('analysis', 'set_eq_mode', 'eqt_frac')
        gui.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(30.0), spectrum=spectrum_view()))
        core.act('app', 'compute_metrics')
        core.act('app', 'average_spectrum')
        gui.frame()
        gui.frame()

    assert_every_control_pressed(request, gui, [EquivarianceView(), SpectrumView()], prepare)
