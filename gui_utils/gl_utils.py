"""Textures, an image-drawing shader program and zoom/pan geometry for OpenGL 3.3 core profile.

No fixed-function calls anywhere, so everything here also works in a forward-compatible context (macOS).
All rectangles are (x, y, width, height) in framebuffer pixels with the origin at the top left.
"""

from __future__ import annotations

import ctypes

import numpy as np
import OpenGL.GL as gl

from gui_utils.image_view import ImageView, zoom_levels  # noqa: F401  (the image view maths, re-exported)

#----------------------------------------------------------------------------

_FILTERS = {'nearest': gl.GL_NEAREST, 'linear': gl.GL_LINEAR}
_FORMATS = {1: (gl.GL_R8, gl.GL_RED), 3: (gl.GL_RGB8, gl.GL_RGB), 4: (gl.GL_RGBA8, gl.GL_RGBA)}

def _as_image(image: np.ndarray) -> np.ndarray:
    """Validate an image for upload and return it as a C-contiguous uint8 [H, W, C] array."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f'image must be a numpy array, got {type(image).__name__}')
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if image.ndim != 3 or image.shape[2] not in _FORMATS or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f'image must have shape [H, W], [H, W, 1], [H, W, 3] or [H, W, 4], got {list(image.shape)}')
    if image.dtype != np.uint8:
        raise ValueError(f'image must have dtype uint8, got {image.dtype}')
    return np.ascontiguousarray(image)

class Texture:
    """A 2D texture holding an 8-bit image. Re-uploads in place while the shape stays the same.

    Row 0 of the numpy image is texture coordinate v=0, and `ImageProgram` draws v=0 at the top.
    Single-channel images are shown as grey (the red channel is swizzled into green and blue).
    """

    def __init__(self, image: np.ndarray | None = None, *, filter: str = 'nearest'):
        self.gl_id = int(gl.glGenTextures(1))
        assert self.gl_id != 0, 'glGenTextures returned 0: is an OpenGL context current?'
        self.width = 0
        self.height = 0
        self.channels = 0
        self.uploads = 0            # Number of uploads that allocated new storage (for tests and stats).
        self._filter = None
        self.set_filter(filter)
        if image is not None:
            self.upload(image)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    def set_filter(self, filter: str) -> None:
        """'nearest' (crisp pixels when zoomed in) or 'linear'."""
        if filter not in _FILTERS:
            raise ValueError(f'filter must be one of {sorted(_FILTERS)}, got {filter!r}')
        if filter == self._filter:
            return
        self._filter = filter
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.gl_id)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, _FILTERS[filter])
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, _FILTERS[filter])
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_WRAP_S, gl.GL_CLAMP_TO_EDGE)
        gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_WRAP_T, gl.GL_CLAMP_TO_EDGE)
        gl.glBindTexture(gl.GL_TEXTURE_2D, 0)

    @property
    def filter(self) -> str:
        return self._filter

    def upload(self, image: np.ndarray) -> None:
        """Copy a uint8 [H, W], [H, W, 1], [H, W, 3] or [H, W, 4] image into the texture."""
        image = _as_image(image)
        h, w, c = image.shape
        internal_format, data_format = _FORMATS[c]
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.gl_id)
        gl.glPixelStorei(gl.GL_UNPACK_ALIGNMENT, 1)
        if (h, w, c) == self.shape:
            gl.glTexSubImage2D(gl.GL_TEXTURE_2D, 0, 0, 0, w, h, data_format, gl.GL_UNSIGNED_BYTE, image)
        else:
            gl.glTexImage2D(gl.GL_TEXTURE_2D, 0, internal_format, w, h, 0, data_format, gl.GL_UNSIGNED_BYTE, image)
            swizzle = [gl.GL_RED, gl.GL_RED, gl.GL_RED, gl.GL_ONE] if c == 1 else [gl.GL_RED, gl.GL_GREEN, gl.GL_BLUE, gl.GL_ALPHA]
            gl.glTexParameteriv(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_SWIZZLE_RGBA, np.array(swizzle, dtype=np.int32))
            self.height, self.width, self.channels = h, w, c
            self.uploads += 1
        gl.glBindTexture(gl.GL_TEXTURE_2D, 0)

    def delete(self) -> None:
        if self.gl_id:
            gl.glDeleteTextures([self.gl_id])
            self.gl_id = 0

def colormap_texture(lut: np.ndarray) -> Texture:
    """A [1, N] texture with linear filtering from a colour map given as [N, 3] (uint8, or float in [0, 1])."""
    lut = np.asarray(lut)
    if lut.ndim != 2 or lut.shape[1] not in (3, 4) or lut.shape[0] < 2:
        raise ValueError(f'colour map must have shape [N, 3] or [N, 4] with N >= 2, got {list(lut.shape)}')
    if lut.dtype != np.uint8:
        lut = np.clip(np.rint(lut.astype(np.float64) * 255), 0, 255).astype(np.uint8)
    return Texture(lut[np.newaxis], filter='linear')

#----------------------------------------------------------------------------

_VERTEX_SHADER = """
#version 330 core
in vec2 a_corner;                 // Unit-square corner, (0, 0) = top left.
uniform vec4 u_dest;              // Destination x0, y0, x1, y1 in normalised device coordinates.
uniform vec4 u_src;               // Source u0, v0, u1, v1 in texture coordinates.
out vec2 v_uv;
void main() {
    v_uv = mix(u_src.xy, u_src.zw, a_corner);
    gl_Position = vec4(mix(u_dest.xy, u_dest.zw, a_corner), 0.0, 1.0);
}
"""

_FRAGMENT_SHADER = """
#version 330 core
in vec2 v_uv;
uniform sampler2D u_image;
out vec4 o_color;
void main() {
    o_color = texture(u_image, v_uv);
}
"""

# A separate program rather than a branch: software rasterizers (llvmpipe) run both sides of a branch.
_COLORMAP_FRAGMENT_SHADER = """
#version 330 core
in vec2 v_uv;
uniform sampler2D u_image;
uniform sampler2D u_colormap;
uniform float u_colormap_size;    // Number of colour-map entries.
out vec4 o_color;
void main() {
    float value = texture(u_image, v_uv).r;
    float t = (clamp(value, 0.0, 1.0) * (u_colormap_size - 1.0) + 0.5) / u_colormap_size;
    o_color = vec4(texture(u_colormap, vec2(t, 0.5)).rgb, 1.0);
}
"""

# The image drawn through an affine map of its texture coordinates (a preview of the image moved), a constant colour
# where the map leads outside the image (steps, not a branch).
_WARP_FRAGMENT_SHADER = """
#version 330 core
in vec2 v_uv;
uniform sampler2D u_image;
uniform mat3 u_warp;              // Texture coordinates drawn -> texture coordinates read.
uniform vec4 u_neutral;           // Colour where they fall outside the image.
out vec4 o_color;
void main() {
    vec2 uv = (u_warp * vec3(v_uv, 1.0)).xy;
    float inside = step(0.0, uv.x) * step(uv.x, 1.0) * step(0.0, uv.y) * step(uv.y, 1.0);
    o_color = mix(u_neutral, texture(u_image, uv), inside);
}
"""

def _compile_program(vertex_source: str, fragment_source: str) -> int:
    shaders = []
    for kind, source in [(gl.GL_VERTEX_SHADER, vertex_source), (gl.GL_FRAGMENT_SHADER, fragment_source)]:
        shader = gl.glCreateShader(kind)
        gl.glShaderSource(shader, source)
        gl.glCompileShader(shader)
        if not gl.glGetShaderiv(shader, gl.GL_COMPILE_STATUS):
            raise RuntimeError(f'shader compilation failed: {gl.glGetShaderInfoLog(shader)!r}')
        shaders.append(shader)
    program = gl.glCreateProgram()
    for shader in shaders:
        gl.glAttachShader(program, shader)
    gl.glBindAttribLocation(program, 0, 'a_corner')
    gl.glLinkProgram(program)
    if not gl.glGetProgramiv(program, gl.GL_LINK_STATUS):
        raise RuntimeError(f'shader program link failed: {gl.glGetProgramInfoLog(program)!r}')
    for shader in shaders:
        gl.glDetachShader(program, shader)
        gl.glDeleteShader(shader)
    return program

class ImageProgram:
    """Draws a texture into a rectangle of the framebuffer, clipped to another rectangle."""

    def __init__(self):
        self.program = _compile_program(_VERTEX_SHADER, _FRAGMENT_SHADER)
        self.colormap_program = _compile_program(_VERTEX_SHADER, _COLORMAP_FRAGMENT_SHADER)
        self.warp_program = _compile_program(_VERTEX_SHADER, _WARP_FRAGMENT_SHADER)
        self._loc = {program: {name: gl.glGetUniformLocation(program, name)
            for name in ['u_dest', 'u_src', 'u_image', 'u_colormap', 'u_colormap_size', 'u_warp', 'u_neutral']}
            for program in (self.program, self.colormap_program, self.warp_program)}
        self.vao = gl.glGenVertexArrays(1)
        self.vbo = gl.glGenBuffers(1)
        corners = np.array([0, 0, 1, 0, 0, 1, 1, 1], dtype=np.float32)  # Triangle strip.
        gl.glBindVertexArray(self.vao)
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, self.vbo)
        gl.glBufferData(gl.GL_ARRAY_BUFFER, corners.nbytes, corners, gl.GL_STATIC_DRAW)
        gl.glEnableVertexAttribArray(0)
        gl.glVertexAttribPointer(0, 2, gl.GL_FLOAT, gl.GL_FALSE, 0, ctypes.c_void_p(0))
        gl.glBindVertexArray(0)
        gl.glBindBuffer(gl.GL_ARRAY_BUFFER, 0)

    def draw(self,
        texture: Texture,                             # The image.
        framebuffer_size: tuple[int, int],            # (width, height) of the target framebuffer.
        dest: tuple[float, float, float, float],      # Where the whole image goes: (x, y, w, h).
        clip: tuple[int, int, int, int] | None = None,  # Draw only inside this rectangle.
        colormap: Texture | None = None,              # Map the red channel through this colour map.
        blend: bool = False,                          # Alpha-blend over what is already there.
        warp: np.ndarray | None = None,               # [3, 3]: texture coordinates drawn -> read (u right, v down, 0..1).
        neutral: tuple[float, float, float, float] = (0.5, 0.5, 0.5, 1.0),  # Colour where the warp reads outside the image.
    ) -> None:
        fw, fh = framebuffer_size
        x, y, w, h = dest
        ndc = (2 * x / fw - 1, 1 - 2 * y / fh, 2 * (x + w) / fw - 1, 1 - 2 * (y + h) / fh)
        gl.glViewport(0, 0, fw, fh)
        if clip is not None:
            cx, cy, cw, ch = (int(v) for v in clip)
            if cw <= 0 or ch <= 0:
                return
            gl.glEnable(gl.GL_SCISSOR_TEST)
            gl.glScissor(cx, fh - (cy + ch), cw, ch)
        else:
            gl.glDisable(gl.GL_SCISSOR_TEST)
        if blend:
            gl.glEnable(gl.GL_BLEND)
            gl.glBlendFunc(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA)
        else:
            gl.glDisable(gl.GL_BLEND)
        if warp is not None and colormap is not None:
            raise ValueError('ImageProgram.draw: a warp and a colour map cannot be combined')
        program = self.colormap_program if colormap is not None else self.warp_program if warp is not None else self.program
        loc = self._loc[program]
        gl.glUseProgram(program)
        if warp is not None:
            gl.glUniformMatrix3fv(loc['u_warp'], 1, gl.GL_TRUE, np.ascontiguousarray(warp, dtype=np.float32))
            gl.glUniform4f(loc['u_neutral'], *neutral)
        gl.glUniform4f(loc['u_dest'], *ndc)
        gl.glUniform4f(loc['u_src'], 0.0, 0.0, 1.0, 1.0)
        gl.glActiveTexture(gl.GL_TEXTURE0)
        gl.glBindTexture(gl.GL_TEXTURE_2D, texture.gl_id)
        gl.glUniform1i(loc['u_image'], 0)
        if colormap is not None:
            gl.glActiveTexture(gl.GL_TEXTURE1)
            gl.glBindTexture(gl.GL_TEXTURE_2D, colormap.gl_id)
            gl.glUniform1i(loc['u_colormap'], 1)
            gl.glUniform1f(loc['u_colormap_size'], float(colormap.width))
        gl.glBindVertexArray(self.vao)
        gl.glDrawArrays(gl.GL_TRIANGLE_STRIP, 0, 4)
        gl.glBindVertexArray(0)
        if colormap is not None:
            gl.glBindTexture(gl.GL_TEXTURE_2D, 0)
            gl.glActiveTexture(gl.GL_TEXTURE0)
        gl.glBindTexture(gl.GL_TEXTURE_2D, 0)
        gl.glUseProgram(0)
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glDisable(gl.GL_BLEND)

    def delete(self) -> None:
        if self.program:
            gl.glDeleteProgram(self.program)
            gl.glDeleteProgram(self.colormap_program)
            gl.glDeleteProgram(self.warp_program)
            gl.glDeleteBuffers(1, [self.vbo])
            gl.glDeleteVertexArrays(1, [self.vao])
            self.program = 0

#----------------------------------------------------------------------------
