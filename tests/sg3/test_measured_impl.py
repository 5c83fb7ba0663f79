"""'auto' on devices where the faster path is measured (CUDA, MPS), exercised on the CPU: whichever path each op
picks, the networks give the reference path's numbers; choices are timed once per device and shape class."""

import math

import pytest
import torch

import sg3.ops
from sg3.ops import _impl
from sg3.ops.filtered_lrelu import filtered_lrelu
from sg3.ops.upfirdn2d import upfirdn2d


@pytest.fixture
def measured_on_cpu(monkeypatch):
    """'auto' measures on the CPU too, from a clean slate; afterwards the CPU's fixed rule is back."""
    monkeypatch.setattr(_impl, 'MEASURED_DEVICE_TYPES', {'cpu'})
    _impl.forget_measurements()
    yield
    _impl.forget_measurements()


def _run(G, ws: torch.Tensor, impl: str) -> torch.Tensor:
    with torch.no_grad(), sg3.ops.use_impl(impl):
        return G.synthesis(ws, noise_mode='const')


@pytest.mark.parametrize('network', ['sg3t_G', 'sg2_G'])
def test_networks_on_measured_choices_equal_the_reference(network, measured_on_cpu, request):
    G = request.getfixturevalue(network)
    ws = G.mapping(torch.randn([1, G.z_dim], generator=torch.Generator().manual_seed(3)), None)
    expected = _run(G, ws, 'ref')
    _impl.forget_measurements()
    got = _run(G, ws, 'auto')
    torch.testing.assert_close(got, expected, rtol=0, atol=2e-4)
    choices = _impl.measured_choices()
    ops = {key[0] for key in choices}
    assert ops == ({'filtered_lrelu', 'modulated_conv2d_sg3'} if network == 'sg3t_G' else {'upfirdn2d', 'modulated_conv2d_sg2'})
    for key, choice in choices.items():
        assert key[1] == 'cpu' and choice.impl in ('ref', 'fast')
        assert math.isfinite(choice.ref_seconds) and math.isfinite(choice.fast_seconds)
        assert choice.impl == ('fast' if choice.fast_seconds < choice.ref_seconds else 'ref')

    # Measured once per shape class: a second frame times nothing.
    ticks = []
    clock = _impl._clock
    _impl._clock = lambda: ticks.append(1) or clock()
    try:
        again = _run(G, ws, 'auto')
    finally:
        _impl._clock = clock
    assert not ticks and torch.equal(again, got) and _impl.measured_choices() == choices


def test_the_faster_path_is_taken_and_a_failing_fast_path_loses(measured_on_cpu, monkeypatch):
    x = torch.randn([2, 3, 16, 16], generator=torch.Generator().manual_seed(0))
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    expected = upfirdn2d(x, f, up=2, padding=2, impl='ref')
    taken = []
    real_fast = sg3.ops.fast_upfirdn2d.upfirdn2d_fast

    def fast(*args, **kwargs):
        taken.append('fast')
        return real_fast(*args, **kwargs)
    monkeypatch.setattr(sg3.ops.fast_upfirdn2d, 'upfirdn2d_fast', fast)

    # A clock on which the fast path takes 1 s and the reference 2 s per run: fast wins.
    def timed(run, impl, device):
        run(impl)
        return 1.0 if impl == 'fast' else 2.0
    monkeypatch.setattr(_impl, '_time', timed)
    taken.clear()
    torch.testing.assert_close(upfirdn2d(x, f, up=2, padding=2), expected, rtol=0, atol=1e-5)
    assert [c.impl for c in _impl.measured_choices().values()] == ['fast']
    assert taken == ['fast', 'fast']        # Once while timing, once for the call.

    # The other way round, for another shape class: the reference is taken, the numbers are the same.
    monkeypatch.setattr(_impl, '_time', lambda run, impl, device: 2.0 if impl == 'fast' else 1.0)
    y = x[:1, :, :8, :8].contiguous()
    taken.clear()
    torch.testing.assert_close(upfirdn2d(y, f, up=2, padding=2), upfirdn2d(y, f, up=2, padding=2, impl='ref'), rtol=0, atol=1e-6)
    assert taken == [] and sorted(c.impl for c in _impl.measured_choices().values()) == ['fast', 'ref']

    # A fast path that raises is timed as infinitely slow; the reference's own errors propagate.
    monkeypatch.undo()
    monkeypatch.setattr(_impl, 'MEASURED_DEVICE_TYPES', {'cpu'})
    monkeypatch.setattr(sg3.ops.fast_filtered_lrelu, 'filtered_lrelu_fast', lambda *a, **k: 1 / 0)
    fu = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8
    out = filtered_lrelu(x, fu, fu, up=2, down=2, padding=[2, 1, 2, 1])
    torch.testing.assert_close(out, filtered_lrelu(x, fu, fu, up=2, down=2, padding=[2, 1, 2, 1], impl='ref'), rtol=0, atol=0)
    [choice] = [c for key, c in _impl.measured_choices().items() if key[0] == 'filtered_lrelu']
    assert choice.impl == 'ref' and choice.fast_seconds == math.inf


def test_explicit_impls_thread_overrides_and_autograd_are_not_measured(measured_on_cpu):
    x = torch.randn([1, 2, 8, 8])
    f = torch.tensor([1.0, 2.0, 1.0])
    run = lambda choice: pytest.fail('nothing should be timed')
    assert _impl.measured('ref', 'upfirdn2d', (), run, x) == 'ref'
    assert _impl.measured('fast', 'upfirdn2d', (), run, x) == 'fast'
    with sg3.ops.use_impl('ref'):
        assert _impl.measured('auto', 'upfirdn2d', (), run, x) == 'auto'
    assert _impl.measured('auto', 'upfirdn2d', (), run, x, f.requires_grad_(True)) == 'ref'
    assert _impl.measured('auto', 'upfirdn2d', (), run, x.to('meta')) == 'auto'
    assert not _impl.measured_choices()
    assert _impl.shape_class(torch.zeros([3, 4, 5, 6]), 'x') == ('float32', 4, 4, 5, 6, 'x')
