"""Equivariance and spectrum widgets in imgui's headless context: real clicks through imgui's IO,
assertions on the combined `analysis` request part and on the text drawn from real renderer results."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from tests.viz.imgui.test_widgets import Harness, result_for, roundtrip, summary
from viz.protocol import (AnalysisArgs, AnalysisResult, EquivarianceView, ExportStatus, JobStatus, LayerArgs, NetworkArgs,
    PerformanceArgs, RenderArgs, TransformArgs)
from viz.imgui.widgets.base import FrameContext, request_parts
from viz.imgui.widgets.equivariance import AnalysisLink, EquivarianceWidget, format_psnr
from viz.imgui.widgets.spectrum import SpectrumWidget

FONT = 13.0


@pytest.fixture()
def gui():
    harness = Harness()
    yield harness
    harness.close()


class Both:
    """Draws the equivariance and spectrum widgets in one frame, as the app does, in the app's order."""

    def __init__(self, link: AnalysisLink | None = None) -> None:
        self.link = link or AnalysisLink()
        self.eq = EquivarianceWidget(self.link)
        self.spectrum = SpectrumWidget(self.link)

    def draw(self, ctx):
        import imgui
        parts = {}
        for name, widget in (('eq', self.eq), ('spectrum', self.spectrum)):
            imgui.push_id(name)
            try:
                parts.update(request_parts(widget, widget.draw(ctx)))
            finally:
                imgui.pop_id()
        return parts['analysis']


def eq_view(psnr: float, mode: str = 'eqt_frac', notes=()) -> EquivarianceView:
    return EquivarianceView(mode=mode, translate=(0.1, 0.0), angle_deg=0.0, psnr=psnr, mse=0.01, error_max=0.05,
        scale_max=0.05, error_map=np.zeros((4, 4), np.float32), mask=np.ones((4, 4), bool), notes=tuple(notes))


def psnr_shown(gui, widget, **ctx_fields) -> str | None:
    """Draw a frame; the PSNR text of the '##psnr' control drawn in it (None if none)."""
    gui.recorder.rects.clear()
    gui.frame(widget, **ctx_fields)
    labels = [key.rsplit('/', 1)[-1] for key in gui.recorder.rects if key.endswith('##psnr')]
    assert len(labels) <= 1
    return labels[0].split('##')[0] if labels else None


def with_analysis(stamp: int = 1, net=None, **fields):
    r = result_for(RenderArgs(), network=net or summary(), analysis=AnalysisResult(**fields))
    return dataclasses.replace(r, stamp=stamp)

# ----------------------------------------------------------------------------
# Equivariance widget.


def test_mode_layout_and_scale_make_the_request(gui):
    w = EquivarianceWidget(AnalysisLink())
    assert gui.frame(w) == (AnalysisArgs(),)
    assert request_parts(w, gui.frame(w)) == {'analysis': AnalysisArgs()}
    (part,) = gui.click(w, 'EQ-T frac##eqmode')
    assert part.eq_mode == 'eqt_frac' and w.link.owner == 'equivariance'
    (part,) = gui.click(w, '##eqlayout')
    (part,) = gui.click(w, 'Error##eqlayout')
    assert part.eq_layout == 'error'
    (part,) = gui.click(w, 'Auto##eqscale')
    assert part.eq_scale_max == pytest.approx(0.01)
    (part,) = gui.click(w, 'EQ-R##eqmode')
    assert dataclasses.replace(part, eq_scale_max=0.01) == AnalysisArgs(eq_mode='eqr', eq_layout='error', eq_scale_max=0.01)
    roundtrip(w)
    with pytest.raises(ValueError, match=r'Equivariance.mode = .fft.: expected one of off'):
        w.set_state({'mode': 'fft'})


def test_psnr_number_and_history_follow_the_results(gui):
    w = EquivarianceWidget(AnalysisLink())
    gui.click(w, 'EQ-T frac##eqmode')
    assert psnr_shown(gui, w, result=with_analysis(1, equivariance=eq_view(31.5, notes=('The scale is not part of the comparison.',)))) == 'PSNR 31.50 dB'
    assert gui.shown('The scale is not part of the comparison.')
    gui.frame(w, result=with_analysis(1, equivariance=eq_view(31.5)))      # The same result again: no new point.
    assert psnr_shown(gui, w, result=with_analysis(2, equivariance=eq_view(math.inf))) == 'PSNR inf dB (identical)'
    assert psnr_shown(gui, w, result=with_analysis(3, equivariance=eq_view(27.25))) == 'PSNR 27.25 dB'
    assert list(w.history) == [31.5, math.inf, 27.25]
    assert format_psnr(math.nan) == 'n/a (no valid pixels)'
    # No heatmap result: no number.
    assert psnr_shown(gui, w, result=with_analysis(4)) is None
    # Switching the mode starts a new history.
    gui.click(w, 'EQ-R##eqmode')
    assert len(w.history) <= 1


def test_stylegan2_greys_everything_out_with_the_reason(gui):
    w = EquivarianceWidget(AnalysisLink())
    sg2 = with_analysis(1, net=summary(architecture='stylegan2', has_transform=False, has_noise=True))
    gui.frame(w, result=sg2)
    assert gui.shown('Not available: StyleGAN2 networks have no input transform.')
    (part,) = gui.click(w, 'EQ-T##eqmode', result=sg2)
    assert part.eq_mode == 'off'
    (part,) = gui.click(w, 'Compute EQ metrics##eqmetrics', result=sg2)
    assert part.job_kind == 'none' and part.job_id == 0


def test_metrics_job_start_progress_cancel_and_table(gui):
    link = AnalysisLink()
    w = EquivarianceWidget(link)
    gui.type_text(w, '##eqsamples', '20')
    gui.type_text(w, '##eqseed', '7')
    (part,) = gui.click(w, 'Compute EQ metrics##eqmetrics')
    assert (part.job_id, part.job_kind, part.metrics_samples, part.metrics_seed) == (1, 'metrics', 20, 7)
    assert gui.shown('Starting...')
    running = JobStatus(job_id=1, kind='metrics', state='running', done=5, total=20, description='EQ metrics')
    gui.frame(w, result=with_analysis(job=running))
    (part,) = gui.click(w, 'Cancel##eqmetrics', result=with_analysis(job=running))
    assert (part.job_id, part.job_kind) == (2, 'none')
    cancelled = dataclasses.replace(running, state='cancelled', done=6, psnr=(('eqt', 60.0), ('eqt_frac', 50.5), ('eqr', 20.25)))
    gui.frame(w, result=with_analysis(job=cancelled))
    assert gui.shown('Cancelled after 6 / 20') and gui.shown('50.50 dB')
    (part,) = gui.click(w, 'Compute EQ metrics##eqmetrics', result=with_analysis(job=cancelled))
    assert (part.job_id, part.job_kind) == (3, 'metrics')
    done = JobStatus(job_id=3, kind='metrics', state='done', done=20, total=20, description='EQ metrics',
        psnr=(('eqt', 61.0), ('eqt_frac', 52.0), ('eqr', math.inf)), seconds=2.0)
    gui.frame(w, result=with_analysis(job=done))
    assert gui.shown('Done: 20 / 20') and gui.shown('EQ-T_frac') and gui.shown('inf dB (identical)')
    # A job of the other kind is not this widget's.
    gui.frame(w, result=with_analysis(job=dataclasses.replace(done, kind='average')))
    assert not gui.shown('Done:')

# ----------------------------------------------------------------------------
# Spectrum widget and the shared request part.


def test_spectrum_settings_and_views_exclude_each_other(gui):
    both = Both()
    part = gui.frame(both)
    assert part == AnalysisArgs()
    part = gui.click(both, 'spectrum/Show spectrum##spectrum')
    assert part.spectrum and part.eq_mode == 'off'
    part = gui.type_text(both, 'spectrum/dB##spectrumrange', '-60', fx=0.2)
    assert part.spectrum_db_low == -60 and part.spectrum_db_high == 20
    part = gui.click(both, 'spectrum/Selected in Layers##spectrumchannels')
    assert part.spectrum_channels == 'selected'
    # Turning the heatmap on turns the spectrum off, and back.
    part = gui.click(both, 'eq/EQ-T##eqmode')
    part = gui.frame(both)
    assert part.eq_mode == 'eqt' and not part.spectrum
    gui.click(both, 'spectrum/Show spectrum##spectrum')
    part = gui.frame(both)
    assert part.spectrum and part.eq_mode == 'off' and part.spectrum_channels == 'selected'
    roundtrip(both.spectrum)
    with pytest.raises(ValueError, match=r'Spectrum.db_high = -50.0: expected more than db_low'):
        both.spectrum.set_state({'db_low': -40.0, 'db_high': -50.0})


def test_spectrum_view_text_average_job_and_export(gui, tmp_path):
    from viz.render import pictures as analysis_pictures
    from sg3 import spectra
    both = Both()
    gui.click(both, 'spectrum/Show spectrum##spectrum')
    # A real spectrum view of a test image (the marker values come from the view).
    spectrum = spectra.power_spectrum(torch.randn(1, 3, 16, 16), sampling_rate=16)
    design = spectra.LayerDesign(name='L1', sampling_rate=16, cutoff=4.0, stopband=8.0, half_width=4.0, size=(16, 16),
        margin=0, nyquist=8.0, channels=3)
    _image, view = analysis_pictures.spectrum_view(spectrum, design, 'L1', 'this latent', None, (-40.0, 20.0))
    result = with_analysis(spectrum=view)
    gui.frame(both, result=result)
    assert gui.shown('f_c 4  f_t 8  s/2 8 cycles per image (separable filter)')
    assert gui.shown('L1, this latent')

    part = gui.click(both, 'spectrum/Average over K seeds##spectrumaverage', result=result)
    assert (part.job_kind, part.average_seeds, part.spectrum_average, part.spectrum) == ('average', 8, True, True)
    # Starting the metrics cancels it (one job at a time): the id moves on.
    part = gui.click(both, 'eq/Compute EQ metrics##eqmetrics', result=result)
    assert part.job_kind == 'metrics' and part.job_id == 2

    gui.type_text(both, 'spectrum/##spectrumfolder', str(tmp_path), result=result)
    part = gui.click(both, 'spectrum/Save .npz##spectrum', result=result)
    assert (part.export_id, part.export_format, part.export_folder) == (1, 'npz', str(tmp_path))
    assert gui.shown('Saving...')
    saved = with_analysis(spectrum=view, export=ExportStatus(export_id=1, path=str(tmp_path / 'spectrum-L1-00001.npz')))
    gui.frame(both, result=saved)
    assert gui.shown(f'Saved {tmp_path / "spectrum-L1-00001.npz"}')
    part = gui.click(both, 'spectrum/Save PNG figure##spectrum', result=saved)
    assert (part.export_id, part.export_format) == (2, 'png')
    failed = with_analysis(spectrum=view, export=ExportStatus(export_id=2, error='Could not export to /x: denied'))
    gui.frame(both, result=failed)
    assert gui.shown('Could not export to /x: denied')
    # Without a spectrum there is nothing to export: the buttons do nothing.
    part = gui.click(both, 'spectrum/Save PNG figure##spectrum', result=with_analysis())
    assert part.export_id == 2
    # The app's capture folder, when the app passes one, is where exports go.
    ctx = FrameContext(font_size=FONT, result=result)
    object.__setattr__(ctx, 'capture_dir', tmp_path / 'caps')
    assert both.spectrum.export_folder(ctx) == str(tmp_path / 'caps')


def test_widgets_show_what_the_real_renderer_returns(gui):
    from tests.viz.render.test_analysis import Loader
    from viz.render.renderer import Renderer
    renderer = Renderer(load_fn=Loader())
    both = Both()
    gui.click(both, 'eq/EQ-T frac##eqmode')
    args = RenderArgs(network=NetworkArgs('tiny:sg3'), performance=PerformanceArgs(device='cpu'),
        transform=TransformArgs(x=0.05), analysis=gui.frame(both))
    result = renderer.render(args)
    assert psnr_shown(gui, both, result=result) == f'PSNR {format_psnr(result.analysis.equivariance.psnr)}'
    sg2 = renderer.render(dataclasses.replace(args, network=NetworkArgs('tiny:sg2')))
    gui.frame(both, result=sg2)
    assert gui.shown('Not available: StyleGAN2 networks have no input transform.')
    gui.click(both, 'spectrum/Show spectrum##spectrum', result=sg2)
    spec = renderer.render(dataclasses.replace(args, layer=LayerArgs(name='L1_36_16'), analysis=gui.frame(both)))
    gui.frame(both, result=spec)
    assert gui.shown('f_c 4  f_t 8  s/2 8 cycles per image (separable filter)')


def test_the_app_discovers_both_widgets_sharing_one_link():
    from viz.imgui import widgets
    classes = widgets.WIDGET_CLASSES
    assert classes.index(widgets.EquivarianceWidget) < classes.index(widgets.SpectrumWidget)
    eq, spectrum = widgets.EquivarianceWidget(), widgets.SpectrumWidget()
    assert eq.link is spectrum.link
    # Distinct session keys (the app names a widget by its field when that is a string, else by its class).
    assert not isinstance(eq.field, str) and not isinstance(spectrum.field, str)
    json.dumps({'e': eq.get_state(), 's': spectrum.get_state()})
