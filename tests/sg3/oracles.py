"""Independent float64 numpy oracles for the sg3 ops and filter design.

Nothing here imports sg3: every result is computed from the definitions (explicit zero stuffing,
explicit padding, explicit sums over filter taps) so that the tests compare two independent
implementations. scipy is used only where it computes exactly the quantity in question.
"""

import numpy as np

#----------------------------------------------------------------------------
# Argument parsing (the conventions of NVIDIA's upfirdn2d: [x, y] and [x0, x1, y0, y1]).

def parse_scaling(scaling):
    """Return (sx, sy) from an int or an [x, y] pair."""
    if isinstance(scaling, int):
        return scaling, scaling
    sx, sy = scaling
    return int(sx), int(sy)

def parse_padding(padding):
    """Return (px0, px1, py0, py1) from an int, [px, py] or [px0, px1, py0, py1]."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        px, py = padding
        return px, px, py, py
    px0, px1, py0, py1 = padding
    return px0, px1, py0, py1

#----------------------------------------------------------------------------
# upfirdn2d.

def _fir_valid_1d(x, taps, axis):
    """Valid-mode true convolution of x with 1-D taps along axis, as an explicit sum over taps."""
    k = len(taps)
    n = x.shape[axis] - (k - 1)
    assert n >= 1, 'oracle: filter longer than the padded signal'
    out = np.zeros(x.shape[:axis] + (n,) + x.shape[axis + 1:], dtype=np.float64)
    for t in range(k):
        # out[i] = sum_t taps[t] * x[i + k - 1 - t]
        sl = [slice(None)] * x.ndim
        sl[axis] = slice(k - 1 - t, k - 1 - t + n)
        out += taps[t] * x[tuple(sl)]
    return out

def _fir_valid_2d(x, f):
    """Valid-mode true 2-D convolution of x [..., H, W] with f [Kh, Kw], explicit sum over taps."""
    kh, kw = f.shape
    oh = x.shape[-2] - (kh - 1)
    ow = x.shape[-1] - (kw - 1)
    assert oh >= 1 and ow >= 1, 'oracle: filter larger than the padded image'
    out = np.zeros(x.shape[:-2] + (oh, ow), dtype=np.float64)
    for ty in range(kh):
        for tx in range(kw):
            out += f[ty, tx] * x[..., kh - 1 - ty : kh - 1 - ty + oh, kw - 1 - tx : kw - 1 - tx + ow]
    return out

def upfirdn2d_np(x, f=None, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """Upsample (zero insertion), pad/crop, convolve, downsample; float64 numpy [N, C, H, W]."""
    x = np.asarray(x, dtype=np.float64)
    assert x.ndim == 4
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    px0, px1, py0, py1 = parse_padding(padding)
    if f is None:
        f = np.ones([1, 1])
    f = np.asarray(f, dtype=np.float64)
    assert f.ndim in (1, 2)

    # Insert zeros after each sample.
    n, c, h, w = x.shape
    z = np.zeros([n, c, h * upy, w * upx], dtype=np.float64)
    z[:, :, ::upy, ::upx] = x

    # Pad with zeros, then crop for negative padding.
    zp = np.zeros([n, c, z.shape[2] + max(py0, 0) + max(py1, 0), z.shape[3] + max(px0, 0) + max(px1, 0)])
    zp[:, :, max(py0, 0) : max(py0, 0) + z.shape[2], max(px0, 0) : max(px0, 0) + z.shape[3]] = z
    zp = zp[:, :, max(-py0, 0) : zp.shape[2] - max(-py1, 0), max(-px0, 0) : zp.shape[3] - max(-px1, 0)]

    # Convolve (correlate when flip_filter), the filter scaled by gain**(ndim/2).
    f = f * gain ** (f.ndim / 2)
    if flip_filter:
        f = f[::-1] if f.ndim == 1 else f[::-1, ::-1]
    if f.ndim == 1:
        y = _fir_valid_1d(zp, f, axis=3)
        y = _fir_valid_1d(y, f, axis=2)
    else:
        y = _fir_valid_2d(zp, f)

    # Keep every down-th sample.
    return y[:, :, ::downy, ::downx]

def upfirdn2d_out_size(in_size, up, pad0, pad1, taps, down):
    """Output length along one axis, counted directly: number of kept valid-convolution samples."""
    valid = in_size * up + pad0 + pad1 - taps + 1
    return len(range(0, valid, down))

#----------------------------------------------------------------------------
# bias_act.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))

ACTIVATIONS = {
    # name: (function of (x, alpha), default alpha, default gain)
    'linear':   (lambda x, a: x,                                                        0,   1),
    'relu':     (lambda x, a: np.maximum(x, 0),                                         0,   np.sqrt(2)),
    'lrelu':    (lambda x, a: np.where(x >= 0, x, a * x),                               0.2, np.sqrt(2)),
    'tanh':     (lambda x, a: np.tanh(x),                                               0,   1),
    'sigmoid':  (lambda x, a: _sigmoid(x),                                              0,   1),
    'elu':      (lambda x, a: np.where(x > 0, x, np.expm1(x)),                          0,   1),
    'selu':     (lambda x, a: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), 0,   1),
    'softplus': (lambda x, a: np.logaddexp(0, x),                                       0,   1),
    'swish':    (lambda x, a: x * _sigmoid(x),                                          0,   np.sqrt(2)),
}

def bias_act_np(x, b=None, dim=1, act='linear', alpha=None, gain=None, clamp=None):
    """Add bias along dim, apply the activation, multiply by gain, clamp; float64 numpy."""
    func, def_alpha, def_gain = ACTIVATIONS[act]
    x = np.asarray(x, dtype=np.float64)
    if b is not None:
        shape = [-1 if i == dim else 1 for i in range(x.ndim)]
        x = x + np.asarray(b, dtype=np.float64).reshape(shape)
    x = func(x, def_alpha if alpha is None else alpha)
    x = x * (def_gain if gain is None else gain)
    if clamp is not None:
        x = np.clip(x, -clamp, clamp)
    return x

#----------------------------------------------------------------------------
# filtered_lrelu.

def filtered_lrelu_np(x, fu=None, fd=None, b=None, up=1, down=1, padding=0, gain=np.sqrt(2), slope=0.2, clamp=None, flip_filter=False):
    """Bias, upsample with fu (gain up**2), leaky ReLU, gain, clamp, downsample with fd."""
    x = np.asarray(x, dtype=np.float64)
    if b is not None:
        x = x + np.asarray(b, dtype=np.float64).reshape(1, -1, 1, 1)
    x = upfirdn2d_np(x, fu, up=up, padding=padding, gain=up ** 2, flip_filter=flip_filter)
    x = np.where(x >= 0, x, slope * x) * gain
    if clamp is not None:
        x = np.clip(x, -clamp, clamp)
    return upfirdn2d_np(x, fd, down=down, flip_filter=flip_filter)

#----------------------------------------------------------------------------
# Filter design.

def jinc_lowpass_np(numtaps, cutoff, width, fs):
    """Radially symmetric jinc low-pass with a separable Kaiser window, normalised to sum 1."""
    import scipy.signal
    import scipy.special
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(x[np.newaxis, :], x[:, np.newaxis])
    f = np.empty_like(r)
    nonzero = r > 0
    f[nonzero] = scipy.special.j1(2 * cutoff * np.pi * r[nonzero]) / (np.pi * r[nonzero])
    f[~nonzero] = cutoff # lim_{r->0} J1(2 pi c r) / (pi r) = c.
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, width / (fs / 2)))
    window = np.kaiser(numtaps, beta)
    f = f * np.outer(window, window)
    return f / f.sum()

def sg3_filter_specs(img_resolution, config='t'):
    """Filter parameters of every layer of a StyleGAN3 synthesis network, as NVIDIA derives them.

    config 't': separable filters; config 'r': radial down filters for non-critically sampled
    layers. Defaults of SynthesisNetwork / SynthesisLayer: 14 layers, 2 critical, first cutoff 2,
    first stopband 2**2.1, last stopband 2**0.3 relative, margin 10, filter_size 6,
    lrelu_upsampling 2. Returns a list of dicts with name, which ('up'/'down'), numtaps, cutoff,
    width, fs, radial, and the layer's up/down factors.
    """
    num_layers, num_critical, margin = 14, 2, 10
    first_cutoff, first_stopband, last_stopband_rel = 2, 2 ** 2.1, 2 ** 0.3
    filter_size, lrelu_upsampling = 6, 2
    last_cutoff = img_resolution / 2
    last_stopband = last_cutoff * last_stopband_rel
    exponents = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exponents
    stopbands = first_stopband * (last_stopband / first_stopband) ** exponents
    rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, img_resolution))))
    half_widths = np.maximum(stopbands, rates / 2) - cutoffs
    sizes = rates + margin * 2
    sizes[-2:] = img_resolution

    specs = []
    for idx in range(num_layers + 1):
        prev = max(idx - 1, 0)
        is_torgb = idx == num_layers
        is_critical = idx >= num_layers - num_critical
        in_rate, out_rate = int(rates[prev]), int(rates[idx])
        tmp_rate = max(in_rate, out_rate) * (1 if is_torgb else lrelu_upsampling)
        up = int(np.rint(tmp_rate / in_rate))
        down = int(np.rint(tmp_rate / out_rate))
        name = f'L{idx}_{int(sizes[idx])}'
        specs.append(dict(name=name, which='up', up=up, down=down,
            numtaps=filter_size * up if up > 1 and not is_torgb else 1,
            cutoff=cutoffs[prev], width=half_widths[prev] * 2, fs=tmp_rate, radial=False))
        specs.append(dict(name=name, which='down', up=up, down=down,
            numtaps=filter_size * down if down > 1 and not is_torgb else 1,
            cutoff=cutoffs[idx], width=half_widths[idx] * 2, fs=tmp_rate,
            radial=(config == 'r' and not is_critical)))
    return specs

#----------------------------------------------------------------------------
