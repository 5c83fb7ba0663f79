"""The equivariant preview: while the input transform changes, the image on screen is the last finished one
moved by the difference between its transform and the current one, until the exact render arrives.

StyleGAN3 is built so that a change of the input transform moves the picture with it (the paper's equivariance;
the heatmap measures how well it holds). The image rendered with image-space transform M1 shows
I1(p) = F(M1^-1 p) of one underlying picture F (p in image units: the image spans [-1/2, 1/2], y down, as the
generator's input grid); the one with M2 shows I2(p) = F(M2^-1 p) = I1(M1 M2^-1 p). So the preview samples the
shown image at M1 M2^-1 p; where that falls outside it, nothing is known and the front end draws a neutral colour.
Intermediate layers work alike, their grid spanning (width / sampling rate) image units with its margins.

Toolkit-neutral: the front ends draw the shown texture through the returned map (OpenGL: a uniform of the
image shader; free on the GPU).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from viz.protocol import RenderArgs, RenderResult, TransformArgs

NEUTRAL_RGBA = (0.5, 0.5, 0.5, 1.0)             # Where the preview has no pixels: the generator's 0 in 8 bits.


def image_transform(t: TransformArgs) -> np.ndarray:
    """The [3, 3] image-space transform of a request (translate, rotate by angle_deg, zoom by scale), the matrix
    whose inverse the renderer copies into G.synthesis.input.transform (NVIDIA's make_transform)."""
    angle = math.radians(t.angle_deg)
    rotation_scale = t.scale * np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
    m = np.eye(3)
    m[:2, :2] = rotation_scale
    m[:2, 2] = (t.x, t.y)
    return m


def _extent(shown: RenderResult) -> float | None:
    """Width of the shown image in image units: 1 for the output, (pixels / sampling rate) for a layer."""
    name = shown.args.layer.name
    if name is None or name == 'output':
        return 1.0
    info = next((layer for layer in shown.layers if layer.name == name), None)
    if info is None or not info.sampling_rate or shown.image is None:
        return None
    return shown.image.shape[1] / float(info.sampling_rate)


def _same_but_transform(a: RenderArgs, b: RenderArgs) -> bool:
    """Do two requests differ only in the input transform (and in whether the user is dragging)?"""
    def strip(args: RenderArgs) -> RenderArgs:
        return dataclasses.replace(args, transform=TransformArgs(),
            performance=dataclasses.replace(args.performance, interacting=False))
    return strip(a) == strip(b)


def preview_warp(shown: RenderResult | None, current: RenderArgs | None) -> np.ndarray | None:
    """The [3, 3] map from texture coordinates of the picture to draw (u right, v down, both 0..1 across the
    image) to texture coordinates of the shown image, or None when there is nothing to preview: no image, not a
    StyleGAN3 network, the same transform, another change than the transform, an analysis picture (heatmap,
    spectrum) or an untransformed view (it does not move), a layer without a sampling rate, or a zoom of 0."""
    if shown is None or current is None or shown.image is None or shown.args is None or shown.network is None:
        return None
    before, after = shown.args.transform, current.transform
    if not shown.network.has_transform or before == after or not _same_but_transform(shown.args, current):
        return None
    if before.untransform or after.untransform or current.analysis.eq_mode != 'off' or current.analysis.spectrum:
        return None
    extent = _extent(shown)
    if extent is None or before.scale == 0 or after.scale == 0:
        return None
    to_units = np.array([[extent, 0, -extent / 2], [0, extent, -extent / 2], [0, 0, 1]])
    try:
        with np.errstate(all='ignore'):
            warp = np.linalg.inv(to_units) @ image_transform(before) @ np.linalg.inv(image_transform(after)) @ to_units
    except np.linalg.LinAlgError:                   # A zoom so small that the matrix is singular in floating point.
        return None
    return warp if np.isfinite(warp).all() else None
