"""The user's input transform for StyleGAN3: image-space translate / rotate / scale, and the inverse
that goes into `G.synthesis.input.transform` (NVIDIA's convention: that buffer holds the inverse)."""

import numpy as np

from sg3.errors import TransformError

#----------------------------------------------------------------------------

def make_transform(
    translate:  tuple[float, float] = (0.0, 0.0),   # Translation in units of the image width / height (1 = whole image).
    angle:      float = 0.0,                        # Rotation in degrees.
    scale:      float = 1.0,                        # Zoom factor (> 0); 2 = the content twice as large.
) -> np.ndarray:
    """3x3 image-space transform, in the form NVIDIA's gen_images.py builds it."""
    values = [*translate, angle, scale]
    if len(translate) != 2 or not all(np.isfinite(float(v)) for v in values):
        raise TransformError(f'translate must be two finite numbers and angle, scale finite; got translate={translate!r}, angle={angle!r}, scale={scale!r}')
    if not scale > 0:
        raise TransformError(f'scale = {scale!r}: expected a positive zoom factor (a scale of 0 makes the transform singular)')
    s = np.sin(np.radians(angle))
    c = np.cos(np.radians(angle))
    m = np.eye(3)
    m[0, 0] = c * scale
    m[0, 1] = s * scale
    m[0, 2] = translate[0]
    m[1, 0] = -s * scale
    m[1, 1] = c * scale
    m[1, 2] = translate[1]
    return m

def input_transform(translate=(0.0, 0.0), angle=0.0, scale=1.0) -> np.ndarray:
    """What to copy into `G.synthesis.input.transform` to see the image translated / rotated / scaled."""
    return invert_transform(make_transform(translate, angle, scale))

def invert_transform(m: np.ndarray) -> np.ndarray:
    """Inverse of a 3x3 transform, or TransformError if it is not a finite invertible 3x3 matrix."""
    m = np.asarray(m, dtype=np.float64)
    if m.shape != (3, 3) or not np.all(np.isfinite(m)):
        raise TransformError(f'a transform must be a finite 3x3 matrix, got shape {m.shape}')
    if abs(np.linalg.det(m)) < 1e-12:
        raise TransformError(f'the transform {m.tolist()} is singular and cannot be inverted')
    return np.linalg.inv(m)

#----------------------------------------------------------------------------
