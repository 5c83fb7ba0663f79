"""Low-pass filter design for the alias-free layers: Kaiser-windowed sinc (same semantics as
`scipy.signal.firwin`) and the radially symmetric jinc-based filter of the R configuration.

numpy and torch only, so that the library needs no scipy at run time."""

import numpy as np
import torch

#----------------------------------------------------------------------------

def kaiser_atten(numtaps: int, width: float) -> float:
    """Attenuation in dB of a Kaiser FIR filter with `numtaps` taps and transition `width`
    (normalised so that 1 is the Nyquist frequency)."""
    return 2.285 * (numtaps - 1) * np.pi * width + 7.95

def kaiser_beta(a: float) -> float:
    """Kaiser window shape parameter for a stopband attenuation of `a` dB (Kaiser's formula)."""
    if a > 50:
        return 0.1102 * (a - 8.7)
    if a > 21:
        return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    return 0.0

#----------------------------------------------------------------------------

def firwin(
    numtaps:    int,    # Number of taps.
    cutoff:     float,  # Cutoff frequency (f_c), in the units of `fs`.
    width:      float,  # Transition band width (2 f_h), in the units of `fs`.
    fs:         float,  # Sampling rate (s).
) -> np.ndarray:
    """Low-pass linear-phase FIR filter, Kaiser-windowed sinc, unit gain at DC.
    Equal to `scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)`."""
    if not (isinstance(numtaps, (int, np.integer)) and numtaps >= 1):
        raise ValueError(f'numtaps must be a positive integer, got {numtaps!r}')
    nyquist = 0.5 * fs
    if not 0 < cutoff < nyquist:
        raise ValueError(f'cutoff must lie strictly between 0 and fs/2 = {nyquist:g}, got {cutoff!r}')

    # Build the ideal low-pass response, centred.
    beta = kaiser_beta(kaiser_atten(numtaps, width / nyquist))
    m = np.arange(numtaps, dtype=np.float64) - 0.5 * (numtaps - 1)
    relative_cutoff = cutoff / nyquist
    h = relative_cutoff * np.sinc(relative_cutoff * m)

    # Apply the window and normalise to unit gain at DC.
    h = h * np.kaiser(numtaps, beta)
    return h / np.sum(h)

#----------------------------------------------------------------------------

def bessel_j1(x: np.ndarray, num_points: int = 256) -> np.ndarray:
    """Bessel function of the first kind of order 1, from Bessel's integral
    J1(x) = (1/pi) * integral over [0, pi] of cos(tau - x sin(tau)), by the midpoint rule.
    Accurate to about 1e-15 for |x| < 80 (torch.special.bessel_j1 is off by up to 5e-7 there)."""
    x = np.asarray(x, dtype=np.float64)
    tau = (np.arange(num_points, dtype=np.float64) + 0.5) * (np.pi / num_points)
    return np.cos(tau - x[..., np.newaxis] * np.sin(tau)).mean(axis=-1)

def jinc_filter(
    numtaps:    int,    # Number of taps along each axis.
    cutoff:     float,  # Cutoff frequency (f_c), in the units of `fs`.
    width:      float,  # Transition band width (2 f_h), in the units of `fs`.
    fs:         float,  # Sampling rate (s).
) -> np.ndarray:
    """Radially symmetric 2-D low-pass filter: jinc times a separable Kaiser window, unit DC gain."""
    x = (np.arange(numtaps, dtype=np.float64) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))

    # Evaluate J1(2 pi f_c r) / (pi r), with its limit f_c at r = 0.
    j1 = bessel_j1(2 * cutoff * np.pi * r)
    with np.errstate(divide='ignore', invalid='ignore'):
        f = np.where(r > 0, j1 / (np.pi * r), cutoff)

    # Apply the window and normalise to unit gain at DC.
    beta = kaiser_beta(kaiser_atten(numtaps, width / (fs / 2)))
    window = np.kaiser(numtaps, beta)
    f = f * np.outer(window, window)
    return f / np.sum(f)

#----------------------------------------------------------------------------

def design_lowpass_filter(
    numtaps:    int,            # Number of taps; 1 = identity (returns None).
    cutoff:     float,          # Cutoff frequency (f_c).
    width:      float,          # Transition band width (2 f_h).
    fs:         float,          # Sampling rate (s).
    radial:     bool = False,   # Radially symmetric 2-D jinc filter instead of a separable 1-D one?
) -> torch.Tensor | None:
    """The filters of StyleGAN3's synthesis layers: [numtaps] separable, or [numtaps, numtaps] radial."""
    assert numtaps >= 1
    if numtaps == 1:
        return None
    f = jinc_filter(numtaps, cutoff, width, fs) if radial else firwin(numtaps, cutoff, width, fs)
    return torch.as_tensor(f, dtype=torch.float32)

#----------------------------------------------------------------------------
