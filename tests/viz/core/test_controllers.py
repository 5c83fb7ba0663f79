"""Controllers on their own: actions, animation steps, image drags, the request parts they compose, and the
checks on what a view, a shortcut or a session file gives them. No toolkit, no torch."""

from __future__ import annotations

import dataclasses
import math

import pytest

from viz.core.controller import ActionError, Facts, ImageDrag, state_from_dict, state_to_dict
from viz.core.controllers import CONTROLLER_CLASSES
from viz.core.controllers.analysis import AnalysisController, unavailable_reason
from viz.core.controllers.latent import DRAG_SEEDS_PER_IMAGE, LatentController
from viz.core.controllers.layers import LayersController
from viz.core.controllers.network import NetworkController, source_problem
from viz.core.controllers.performance import PerformanceController, preview_unavailable
from viz.core.controllers.stylemix import StyleMixController, preset_mask
from viz.core.controllers.transform import IMAGE_DRAG_DEG_PER_PIXEL, TransformController
from viz.core.controllers.trunc_noise import TruncNoiseController
from viz.protocol import LayerInfo, MetricsCommand, NetworkSummary, RenderArgs, RenderResult, SpectrumAverageCommand


def summary(**kw) -> NetworkSummary:
    fields = dict(source='builtin:sg3-t', architecture='stylegan3-t', img_resolution=64, img_channels=3, z_dim=8, c_dim=0,
        w_dim=8, num_ws=12, num_params=1, device='cpu', has_transform=True, has_noise=False)
    return NetworkSummary(**{**fields, **kw})


def facts(layers=(), **kw) -> Facts:
    return Facts(RenderResult(stamp=1, network=summary(**kw), image_resolution=kw.get('img_resolution', 64), layers=layers))


def test_every_controller_composes_a_valid_request_and_round_trips_its_state():
    parts = {}
    for cls in CONTROLLER_CLASSES:
        controller = cls()
        parts.update(controller.to_args(Facts()))
        copy = cls()
        copy.set_state(controller.get_state())
        assert copy.state == controller.state
        assert dataclasses.is_dataclass(controller.state) and type(controller.state).__dataclass_params__.frozen
    assert RenderArgs(**parts) == RenderArgs()  # The defaults of the controllers are the default view.
    assert len({cls.key for cls in CONTROLLER_CLASSES}) == len(CONTROLLER_CLASSES)


def test_state_json_checks_types_and_names_the_field():
    with pytest.raises(ActionError, match=r'Latent\.speed = .x.: expected a finite number'):
        state_from_dict(LatentController.State, {'speed': 'x'}, 'Latent')
    with pytest.raises(ActionError, match=r'Latent\.bogus: unknown setting; expected one of x, y'):
        state_from_dict(LatentController.State, {'bogus': 1}, 'Latent')
    with pytest.raises(ActionError, match='finite'):
        state_from_dict(LatentController.State, {'x': math.nan}, 'Latent')
    with pytest.raises(ActionError, match='expected a dict'):
        state_from_dict(LatentController.State, [1], 'Latent')
    mix = state_from_dict(StyleMixController.State, {'mask': [True, False]}, 'mix')
    assert mix.mask == (True, False) and state_to_dict(mix)['mask'] == [True, False]


# ----------------------------------------------------------------------------
# Latent.


def test_latent_steps_snap_and_seed():
    c = LatentController()
    c.move(0.4, 0.2)
    c.next_seed()                               # Snaps first, then steps.
    assert (c.state.x, c.state.y) == (1.0, 0.0)
    c.prev_seed_row()
    assert (c.state.x, c.state.y, c.seed()) == (1.0, -1.0, 1 - 100)
    c.next_seed_row()
    c.prev_seed()
    assert c.seed() == 0 and c.is_snapped()
    c.set_seed(1234)
    assert (c.state.x, c.state.y) == (1234.0, 0.0)
    c.move(0.3, 0)
    assert not c.is_snapped()
    c.snap()
    assert c.state.x == 1234.0
    with pytest.raises(ActionError, match='seed 1.5: expected an integer'):
        c.set_seed(1.5)


def test_latent_animation_and_image_drag():
    c = LatentController()
    c.step(1.0, Facts())
    assert c.state.x == 0                       # Not animating.
    c.toggle_animation()
    c.set(speed=0.5)
    for _ in range(4):
        c.step(0.25, Facts())
    assert c.state.x == pytest.approx(0.5)
    c.toggle_animation()
    f = facts(img_resolution=64)
    c.image_drag(ImageDrag(dx=16, dy=-8, button=0), f)
    assert (c.state.x, c.state.y) == pytest.approx((0.5 + 16 * DRAG_SEEDS_PER_IMAGE / 64, -8 * DRAG_SEEDS_PER_IMAGE / 64))
    before = c.state
    c.image_drag(ImageDrag(dx=16, dy=0, button=1), f)   # Right drag is the transform's.
    c.image_drag(ImageDrag(dx=16, dy=0, button=0, ctrl=True), f)
    assert c.state == before
    c.image_drag(ImageDrag(dx=10, dy=0, button=0, shift=True), f)
    assert c.state.x == pytest.approx(before.x + 10 * DRAG_SEEDS_PER_IMAGE / 64 * 0.1)
    with pytest.raises(ActionError, match='speed'):
        c.set(speed=50.0)


def test_latent_class_is_clamped_to_the_network():
    c = LatentController()
    c.set_class(7)
    assert c.to_args(facts(c_dim=4))['latent'].class_idx == 3
    assert c.to_args(Facts())['latent'].class_idx == 7
    c.set_class(None)
    assert c.to_args(facts(c_dim=4))['latent'].class_idx is None
    with pytest.raises(ActionError, match='class_idx'):
        c.set_class(-1)

# ----------------------------------------------------------------------------
# Style mixing, truncation, noise.


def test_style_mix_toggles_and_presets():
    c = StyleMixController()
    c.set(enabled=True, seed=5)
    c.toggle_index(3)
    assert c.state.mask == (False, False, False, True)
    c.toggle_index(3)
    assert c.state.mask == ()                   # Canonical: no trailing False.
    c.preset('coarse', 12)
    assert c.state.mask == (True,) * 4
    c.preset('fine', 12)
    assert c.state.mask == (False,) * 8 + (True,) * 4
    c.preset('all', 3)
    assert c.to_args(Facts())['mix'].indices(3) == (0, 1, 2)
    assert preset_mask('none', 12) == ()
    with pytest.raises(ActionError, match='preset .middle.: expected one of all, none, coarse, fine'):
        c.preset('middle', 12)
    with pytest.raises(ActionError, match='seed'):
        c.set(seed=-1)


def test_truncation_cutoff_follows_the_network():
    c = TruncNoiseController()
    c.set(psi=0.5, use_cutoff=True, cutoff=20, noise_mode='random', noise_seed=3)
    parts = c.to_args(facts(num_ws=12))
    assert parts['truncation'].psi == 0.5 and parts['truncation'].cutoff == 12
    assert (parts['noise'].mode, parts['noise'].seed) == ('random', 3)
    c.set(use_cutoff=False)
    assert c.to_args(Facts())['truncation'].cutoff is None
    with pytest.raises(ActionError, match='noise_mode'):
        c.set(noise_mode='loud')

# ----------------------------------------------------------------------------
# Transform.


def test_transform_drag_animation_rounding_and_reset():
    c = TransformController()
    f = facts(img_resolution=64)
    c.image_drag(ImageDrag(dx=16, dy=32, button=1), f)
    assert (c.state.x, c.state.y) == (0.25, 0.5)   # The content follows the mouse.
    c.image_drag(ImageDrag(dx=4, dy=0, button=1, ctrl=True), f)
    assert c.state.angle_deg == 4 * IMAGE_DRAG_DEG_PER_PIXEL
    c.set(anim_rotate=True, rotate_speed=100.0, anim_translate=True, translate_speed=0.5)
    c.step(4.0, f)
    assert c.state.angle_deg == pytest.approx((2 + 400) % 360) and c.state.x == pytest.approx(2.25)
    c.set(x=0.01, y=0.0, round_pixels=True)
    assert c.to_args(f)['transform'].x == round(0.01 * 64) / 64
    c.reset_transform()
    assert c.is_identity() and not c.state.anim_rotate and c.state.round_pixels  # Choices other than the transform stay.
    with pytest.raises(ActionError, match=r'scale = 0.0: expected a zoom factor'):
        c.set(scale=0.0)


def test_transform_ignores_input_for_networks_without_one():
    c = TransformController()
    f = facts(architecture='stylegan2', has_transform=False)
    c.image_drag(ImageDrag(dx=16, dy=32, button=1), f)
    c.set(anim_translate=True)
    c.step(1.0, f)
    assert c.state.x == 0 and c.state.y == 0

# ----------------------------------------------------------------------------
# Layers, analysis, performance, network.


def test_layers_channel_is_clamped_to_the_layer():
    layers = (LayerInfo(name='L0_36_32', shape=(1, 32, 36, 36), channels=32, dtype='float32'),
        LayerInfo(name='output', shape=(1, 3, 64, 64), channels=3, dtype='float32'))
    c = LayersController()
    c.select('L0_36_32')
    c.set(channel=40)
    assert c.to_args(facts(layers=layers))['layer'].channel == 29   # RGB shows channels 29..31.
    c.set(view='channel')
    assert c.to_args(facts(layers=layers))['layer'].channel == 31
    assert c.to_args(Facts())['layer'].channel == 40                 # Unknown layers: as asked.
    c.select(None)
    assert c.to_args(facts(layers=layers))['layer'].name is None
    with pytest.raises(ActionError, match='view'):
        c.set(view='rainbow')


def test_analysis_views_exclude_each_other_and_make_commands():
    c = AnalysisController()
    c.set_eq_mode('eqr')
    c.show_spectrum(True)
    assert (c.state.eq_mode, c.state.spectrum) == ('off', True)
    c.set_eq_mode('eqt')
    assert (c.state.eq_mode, c.state.spectrum) == ('eqt', False)
    c.set(metrics_samples=7, metrics_seed=3, average_seeds=5)
    assert c.metrics_command() == MetricsCommand(samples=7, seed=3)
    assert c.average_command() == SpectrumAverageCommand(seeds=5)
    a = c.to_args(Facts())['analysis']
    assert (a.spectrum, a.eq_mode, a.spectrum_average, a.average_seeds) == (True, 'off', True, 5)
    c.set(eq_auto_scale=False, eq_scale_max=0.5)
    assert c.to_args(Facts())['analysis'].eq_scale_max == 0.5
    assert unavailable_reason(facts(architecture='stylegan2', has_transform=False)).startswith('Not available: StyleGAN2')
    with pytest.raises(ActionError, match='spectrum_db_low'):
        c.set(spectrum_db_low=30.0, spectrum_db_high=20.0)


def test_performance_preview_only_where_supported():
    c = PerformanceController()
    c.set(preview_bf16=True, device='cuda:1', force_fp32=True)
    assert not c.to_args(facts(bf16_supported=False, bf16_reason='no AVX512-BF16'))['performance'].preview_bf16
    assert preview_unavailable(facts(bf16_supported=False, bf16_reason='no AVX512-BF16')) == 'Unavailable: no AVX512-BF16'
    assert c.to_args(facts(bf16_supported=True))['performance'].preview_bf16
    assert c.to_args(Facts())['performance'].device == 'cuda:1'
    for bad in ({'device': 'tpu'}, {'device': 'cuda:x'}, {'fps_limit': 1000.0}):
        with pytest.raises(ActionError):
            c.set(**bad)


def test_network_load_key_and_browsing(tmp_path):
    c = NetworkController()
    c.load('  builtin:sg2 ')
    c.set_key(' G ')
    assert c.to_args(Facts())['network'].source == 'builtin:sg2' and c.state.key == 'G'
    c.set_key('')
    assert c.state.key is None
    with pytest.raises(ActionError, match='expected a file path'):
        c.load(None)
    assert source_problem(str(tmp_path / 'missing.pkl')).startswith('No such file')
    assert source_problem(str(tmp_path)).endswith('(Open...).')
    assert source_problem('https://example.com/x.pkl') is None
