"""viz.protocol: defaults, validation messages, seed blending weights, the identity transform, dict round trip."""

import dataclasses
import json
import math

import pytest

from viz import protocol as P


def test_default_request_is_hashable_and_equal():
    a, b = P.RenderArgs(), P.RenderArgs()
    assert a == b and hash(a) == hash(b)
    assert a.network.source.startswith('builtin:')
    assert dataclasses.replace(a, latent=P.LatentArgs(x=1)) != a


@pytest.mark.parametrize('make, field', [
    (lambda: P.LatentArgs(x=float('nan')), 'LatentArgs.x'),
    (lambda: P.LatentArgs(class_idx=-1), 'LatentArgs.class_idx'),
    (lambda: P.TruncationArgs(psi=float('inf')), 'TruncationArgs.psi'),
    (lambda: P.TruncationArgs(cutoff=1.5), 'TruncationArgs.cutoff'),
    (lambda: P.NoiseArgs(mode='loud'), 'NoiseArgs.mode'),
    (lambda: P.NoiseArgs(seed=-3), 'NoiseArgs.seed'),
    (lambda: P.StyleMixArgs(mask=(1, 0)), 'StyleMixArgs.mask'),
    (lambda: P.StyleMixArgs(seed=1 << 32), 'StyleMixArgs.seed'),
    (lambda: P.TransformArgs(scale='2'), 'TransformArgs.scale'),
    (lambda: P.TransformArgs(untransform=1), 'TransformArgs.untransform'),
    (lambda: P.LayerArgs(view='fft'), 'LayerArgs.view'),
    (lambda: P.LayerArgs(channel=-1), 'LayerArgs.channel'),
    (lambda: P.PerformanceArgs(device='tpu'), 'PerformanceArgs.device'),
    (lambda: P.PerformanceArgs(preview_bf16='yes'), 'PerformanceArgs.preview_bf16'),
    (lambda: P.PerformanceArgs(preview_bf16=1), 'PerformanceArgs.preview_bf16'),
    (lambda: P.PerformanceArgs(interacting=None), 'PerformanceArgs.interacting'),
    (lambda: P.NetworkArgs(source=None), 'NetworkArgs.source'),
    (lambda: P.RenderArgs(latent=P.NetworkArgs()), 'RenderArgs.latent'),
])
def test_invalid_values_raise_value_error_naming_the_field(make, field):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(field)
    assert 'expected' in str(info.value)


def test_valid_devices():
    for device in ('auto', 'cpu', 'cuda', 'cuda:1', 'mps'):
        assert P.PerformanceArgs(device=device).device == device


def test_bf16_preview_is_off_by_default_and_only_asked_for_while_interacting():
    assert P.PerformanceArgs() == P.PerformanceArgs(preview_bf16=False, interacting=False)
    assert P.RenderResult(stamp=1).precision == 'float32'
    wants = {(on, active): P.PerformanceArgs(preview_bf16=on, interacting=active).wants_bf16()
        for on in (False, True) for active in (False, True)}
    assert wants == {(False, False): False, (False, True): False, (True, False): False, (True, True): True}
    # The flag the app sets makes a different request, so the release re-renders.
    assert P.PerformanceArgs(preview_bf16=True, interacting=True) != P.PerformanceArgs(preview_bf16=True)


def test_seed_weights_match_bilinear_interpolation():
    # Integer position: one seed with weight 1.
    assert P.LatentArgs(x=3, y=2).seed_weights() == ((3 + 2 * P.SEED_STEP_Y, 1.0),)
    # Fractional: the four neighbours, each weighted by the area of the opposite sub-rectangle.
    weights = dict(P.LatentArgs(x=3.25, y=2.5).seed_weights())
    assert weights == pytest.approx({203: 0.75 * 0.5, 204: 0.25 * 0.5, 303: 0.75 * 0.5, 304: 0.25 * 0.5})
    # Negative positions wrap modulo 2**32, weights always sum to 1.
    for x, y in [(-0.3, 0.7), (12.9, -4.1), (0.0, 0.5)]:
        pairs = P.LatentArgs(x=x, y=y).seed_weights()
        assert math.isclose(sum(w for _, w in pairs), 1.0)
        assert all(0 <= s < P.SEED_MODULO and w > 0 for s, w in pairs)
    assert dict(P.LatentArgs(x=-0.5).seed_weights()) == {P.SEED_MODULO - 1: 0.5, 0: 0.5}


def test_style_mix_indices():
    mix = P.StyleMixArgs(enabled=True, seed=5, mask=(False, True, True, False, True))
    assert mix.indices(16) == (1, 2, 4)
    assert mix.indices(3) == (1, 2)  # Longer masks are cut to the network's num_ws.
    assert dataclasses.replace(mix, enabled=False).indices(16) == ()


def test_transform_identity():
    assert P.TransformArgs().is_identity() and P.TransformArgs(angle_deg=360).is_identity()
    assert not P.TransformArgs(scale=0.5).is_identity() and not P.TransformArgs(x=0.1).is_identity()


def test_render_args_dict_round_trip_through_json():
    args = P.RenderArgs(
        network=P.NetworkArgs(source='/tmp/x.pkl', key='G_ema'),
        latent=P.LatentArgs(x=1.5, y=-2.25, class_idx=3),
        mix=P.StyleMixArgs(enabled=True, seed=9, mask=(True, False)),
        truncation=P.TruncationArgs(psi=0.7, cutoff=8),
        noise=P.NoiseArgs(mode='random', seed=4),
        transform=P.TransformArgs(x=0.1, angle_deg=30, untransform=True),
        layer=P.LayerArgs(name='L3_36_512', view='channel', channel=5, normalize=True, gain_db=6),
        performance=P.PerformanceArgs(device='cpu', force_fp32=True, preview_bf16=True, interacting=True),
    )
    assert P.RenderArgs.from_dict(json.loads(json.dumps(args.to_dict()))) == args
    assert P.RenderArgs.from_dict({}) == P.RenderArgs()
    with pytest.raises(ValueError, match='RenderArgs.colour'):
        P.RenderArgs.from_dict({'colour': {}})
    with pytest.raises(ValueError, match=r'RenderArgs.latent: unknown field\(s\) z'):
        P.RenderArgs.from_dict({'latent': {'z': 1}})
    with pytest.raises(ValueError, match='LatentArgs.x'):
        P.RenderArgs.from_dict({'latent': {'x': 'one'}})
