"""The Tk window's image area: the newest image, fit / zoom in whole steps / pan, the mouse over it, and what is
drawn over it (errors, the loading text, the bf16 preview tag, and the analysis pictures' titles, colour-bar numbers,
axes and legend as Tk labels in the UI font, placed where viz.core.figure_labels says, in margins kept around the
picture; each reported as a LABEL line when it appears or moves).

The image is drawn with the project's GL helpers (gui_utils.gl_utils: a texture and the image program) in a
pyopengltk OpenGLFrame. pyopengltk calls `initgl` again on every resize, so one-time set-up is guarded, and it
makes a legacy (compatibility) context, so the version is checked: the image program needs OpenGL 3.3. Where no
such context can be made (macOS, where pyopengltk has no backend; no GLX; an old driver), or where the caller
asks, the image is drawn through a Tk PhotoImage on a canvas instead, and `note` says so for the status bar.
Both draw the same pixels: whole zoom steps with nearest filtering are exact either way.

Coordinates are the surface widget's pixels (Tk has no separate framebuffer scale).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tkinter as tk
from tkinter import font as tkfont, ttk
from typing import Callable

import numpy as np
from PIL import Image

from gui_utils.image_view import MouseZoom
from viz.core import figure_labels, texts
from viz.core.controller import ImageDrag

BACKGROUND = (0.16, 0.16, 0.17)                 # Around the image (the imgui window's clear colour).
ERROR_COLORS = ('#ff7366', '#2a2a2e')           # Error text and its background.
PREVIEW_COLORS = ('#ffc740', '#2a2a2e')          # The "bf16 preview" tag.
BUTTONS = {1: 0, 3: 1, 2: 2}                    # Tk button number -> ImageDrag button (left, right, middle).
MIN_GL_VERSION = (3, 3)


class DrawError(RuntimeError):
    """OpenGL cannot draw here; the message says why."""


def _hex(rgb: tuple[float, float, float]) -> str:
    return '#%02x%02x%02x' % tuple(round(c * 255) for c in rgb)


class PhotoSurface(tk.Canvas):
    """Draws the visible part of the image, scaled with PIL, as a Tk PhotoImage (binary PPM data)."""

    kind = 'photo'

    def __init__(self, parent: tk.Widget) -> None:
        super().__init__(parent, background=_hex(BACKGROUND), highlightthickness=0, borderwidth=0)
        self._image: np.ndarray | None = None
        self._filter = 'nearest'
        self._photo: tk.PhotoImage | None = None
        self._shown: tuple | None = None

    def set_image(self, image: np.ndarray) -> None:
        self._image = image

    def set_filter(self, name: str) -> None:
        self._filter = name

    def draw(self, rect: tuple[int, int, int, int] | None) -> None:
        key = (id(self._image), rect, self._filter, self.winfo_width(), self.winfo_height())
        if key == self._shown:
            return
        self._shown = key
        self.delete('image')
        image, w, h = self._image, self.winfo_width(), self.winfo_height()
        if image is None or rect is None:
            return
        x, y, rw, rh = rect
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + rw, w), min(y + rh, h)
        if x1 <= x0 or y1 <= y0:
            return
        ih, iw = image.shape[:2]
        box = ((x0 - x) * iw / rw, (y0 - y) * ih / rh, (x1 - x) * iw / rw, (y1 - y) * ih / rh)
        resample = Image.NEAREST if self._filter == 'nearest' else Image.BILINEAR
        part = Image.fromarray(image[..., :3]).resize((x1 - x0, y1 - y0), resample=resample, box=box)
        data = b'P6 %d %d 255\n' % part.size + part.tobytes()
        self._photo = tk.PhotoImage(master=self, data=data, format='PPM')
        self.create_image(x0, y0, image=self._photo, anchor='nw', tags='image')

    def close(self) -> None:
        self._photo = None


def make_gl_surface(parent: tk.Widget, on_failure: Callable[[str], None]):
    """An OpenGLFrame drawing with gui_utils.gl_utils, or raise DrawError where pyopengltk has no backend."""
    try:
        from OpenGL import GL as gl
        from pyopengltk import OpenGLFrame
        from gui_utils import gl_utils
    except Exception as e:                      # ImportError, or PyOpenGL failing to find a GL library.
        raise DrawError(f'no OpenGL for Tk here ({type(e).__name__}: {e})') from None

    class GLSurface(OpenGLFrame):
        kind = 'gl'

        def __init__(self, parent: tk.Widget) -> None:
            super().__init__(parent)
            self.program = None
            self.texture = None
            self._image: np.ndarray | None = None
            self._uploaded: np.ndarray | None = None
            self._filter = 'nearest'
            self._rect = None
            self._drawn = None                  # What the last frame showed: skip redrawing an unchanged one.
            self.failed: str | None = None

        def tkMap(self, event) -> None:
            """Make the context when first mapped (pyopengltk prints GLX diagnostics: kept off stdout)."""
            if self.failed is not None:
                return
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    super().tkMap(event)
            except Exception as e:              # No GLX, no visual, no context, or too old: draw without GL.
                self.failed = str(e) or type(e).__name__
                on_failure(self.failed)

        def initgl(self) -> None:
            """Called once the context exists and again on every resize: set up only once."""
            if self.program is not None or self.failed is not None:
                return
            version = gl.glGetString(gl.GL_VERSION)
            if not version:
                raise DrawError('no OpenGL context could be made')
            numbers = version.decode(errors='replace').split()[0].split('.')
            found = tuple(int(v) for v in numbers[:2] if v.isdigit())
            if found < MIN_GL_VERSION:
                raise DrawError(f'OpenGL {version.decode(errors="replace")} is older than 3.3')
            self.program = gl_utils.ImageProgram()
            self.texture = gl_utils.Texture(filter=self._filter)

        def tkExpose(self, event) -> None:
            self._drawn = None
            self.draw(self._rect)

        def set_image(self, image: np.ndarray) -> None:
            self._image = image

        def set_filter(self, name: str) -> None:
            self._filter = name

        def draw(self, rect) -> None:
            self._rect = rect
            if self.program is None or self.failed is not None or not self.winfo_ismapped():
                return
            key = (id(self._image), rect, self._filter, self.winfo_width(), self.winfo_height())
            if key == self._drawn:
                return
            self._drawn = key
            self.tkMakeCurrent()
            self.redraw()
            self.tkSwapBuffers()

        def redraw(self) -> None:
            w, h = max(self.winfo_width(), 1), max(self.winfo_height(), 1)
            if self._image is not None and self._image is not self._uploaded:
                self.texture.upload(self._image)
                self._uploaded = self._image
            self.texture.set_filter(self._filter)
            gl.glViewport(0, 0, w, h)
            gl.glClearColor(*BACKGROUND, 1.0)
            gl.glClear(gl.GL_COLOR_BUFFER_BIT)
            if self._uploaded is not None and self._rect is not None:
                self.program.draw(self.texture, (w, h), self._rect, clip=(0, 0, w, h))

        def close(self) -> None:
            if self.program is not None and self.winfo_ismapped():
                self.tkMakeCurrent()
                self.texture.delete()
                self.program.delete()
            self.program = None

    return GLSurface(parent)


class ImageArea:
    """The image area of the Tk window (see the module docstring)."""

    def __init__(self, parent: tk.Widget, core, on_input: Callable[[], None], use_gl: bool = True,
        emit: Callable[[str], None] | None = None) -> None:
        self.core = core
        self.on_input = on_input                # Something changed: ask for a frame.
        self.emit = emit or (lambda line: None)
        self.frame = ttk.Frame(parent, width=320, height=240)  # A requested size: the surface inside is placed, which requests none.
        self.mouse = MouseZoom()
        self.image: np.ndarray | None = None    # The image shown, uint8 [H, W, 3].
        self.note = ''                          # For the status bar: how the image is drawn when it is not with OpenGL.
        self.drag_button: int | None = None     # ImageDrag button of a drag that started in the area.
        self.pointer: tuple[int, int] | None = None
        self._last: tuple[int, int] | None = None
        self._last_view = None
        self.surface = None
        if use_gl:
            try:
                self._use(make_gl_surface(self.frame, self._gl_failed))
            except DrawError as e:
                self._use_photo(str(e))
        else:
            self._use_photo('OpenGL turned off')
        self.error = tk.Label(self.frame, foreground=ERROR_COLORS[0], background=ERROR_COLORS[1], justify='left', anchor='w',
            padx=6, pady=4)
        self.loading = tk.Label(self.frame, foreground='#e6e6e6', background=ERROR_COLORS[1], padx=6, pady=4)
        self.tag = tk.Label(self.frame, text=texts.PREVIEW_TAG, foreground=PREVIEW_COLORS[0], background=PREVIEW_COLORS[1], padx=4)
        self.labels: dict[str, tk.Label] = {}   # The analysis picture's text by figure_labels key.
        self._logged: dict[str, list[int]] = {}

    # ------------------------------------------------------------------------
    # The surface.

    def _use(self, surface) -> None:
        if self.surface is not None:
            self.surface.close()
            self.surface.destroy()
        self.surface = surface
        surface.place(x=0, y=0, relwidth=1, relheight=1)
        tk.Misc.lower(surface)                  # Under the overlays (a Canvas' own lower() moves items).
        for sequence in ('<ButtonPress-1>', '<ButtonPress-2>', '<ButtonPress-3>'):
            surface.bind(sequence, self._press)
        for sequence in ('<ButtonRelease-1>', '<ButtonRelease-2>', '<ButtonRelease-3>'):
            surface.bind(sequence, self._release)
        surface.bind('<Motion>', self._motion)
        surface.bind('<Leave>', self._leave)
        surface.bind('<Button-4>', lambda e: self._wheel(e, 1.0))
        surface.bind('<Button-5>', lambda e: self._wheel(e, -1.0))
        surface.bind('<MouseWheel>', lambda e: self._wheel(e, e.delta / (120.0 if sys.platform == 'win32' else 1.0)))
        surface.bind('<Configure>', lambda e: self.on_input(), add='+')
        if self.image is not None:
            surface.set_image(self.image)
        self._last_view = None

    def _use_photo(self, reason: str) -> None:
        self.note = f'Drawing without OpenGL ({reason}): Tk PhotoImage'
        self._use(PhotoSurface(self.frame))

    def _gl_failed(self, reason: str) -> None:
        """The OpenGL context could not be made: switch to the PhotoImage (after the failing event handler)."""
        self.frame.after_idle(lambda: (self._use_photo(reason), self.on_input()))

    @property
    def widget(self) -> tk.Widget:
        return self.surface

    @property
    def kind(self) -> str:
        return self.surface.kind

    # ------------------------------------------------------------------------
    # Geometry.

    def full_area(self) -> tuple[int, int, int, int]:
        return (0, 0, max(self.surface.winfo_width(), 1), max(self.surface.winfo_height(), 1))

    def area(self) -> tuple[int, int, int, int]:
        """The part of the surface the picture fits into: all of it, less the margins an analysis picture keeps for its
        titles, numbers and axes."""
        em = tkfont.nametofont('TkDefaultFont').metrics('linespace')
        room = tuple(v * em for v in figure_labels.margins(self.core.shown_result))
        return tuple(round(v) for v in figure_labels.inset(self.full_area(), room))  # type: ignore[return-value]

    @property
    def image_size(self) -> tuple[int, int] | None:
        return None if self.image is None else (self.image.shape[1], self.image.shape[0])

    def zoom(self) -> float | None:
        size = self.image_size
        return None if size is None else self.mouse.view.effective_zoom(self.area(), size)

    def pixel_text(self) -> str | None:
        if self.image is None or self.pointer is None:
            return None
        return self.mouse.view.readout(self.pointer, self.area(), self.image, figure_labels.readout_panels(self.core.shown_result))

    def _sync_view(self) -> None:
        self.mouse.view.zoom, self.mouse.view.pan = self.core.view.zoom, self.core.view.pan

    def _store_view(self) -> None:
        view = self.mouse.view
        if (view.zoom, tuple(view.pan)) != (self.core.view.zoom, self.core.view.pan):
            self.core.set_view(zoom=view.zoom, pan=tuple(float(v) for v in view.pan))

    # ------------------------------------------------------------------------
    # Mouse.

    def _press(self, event) -> None:
        self.surface.focus_set()               # The keyboard back to the shortcuts.
        if self.drag_button is None:
            self.drag_button = BUTTONS.get(event.num)
            self._last = (event.x, event.y)
        self.on_input()

    def _release(self, event) -> None:
        if BUTTONS.get(event.num) == self.drag_button:
            self.drag_button = None
            self._last = None
        self.on_input()

    def _motion(self, event) -> None:
        self.pointer = (event.x, event.y)
        if self.drag_button is not None and self._last is not None and self.image is not None:
            dx, dy = event.x - self._last[0], event.y - self._last[1]
            self._last = (event.x, event.y)
            if dx or dy:
                self._drag(dx, dy, event.state)
        self.on_input()

    def _drag(self, dx: int, dy: int, state: int) -> None:
        self._sync_view()
        if self.drag_button == 2:
            self.mouse.view.pan_by(dx, dy)
            self._store_view()
            return
        result = self.core.result
        view = result.analysis.equivariance if result is not None and result.analysis is not None else None
        span = view.panels[0].width if view is not None and view.panels else None
        scale = self.mouse.drag_scale(self.area(), self.image_size, self.core.facts.resolution if result else None, span)
        self.core.image_drag(ImageDrag(dx=dx * scale, dy=dy * scale, button=self.drag_button, shift=bool(state & 0x1),
            ctrl=bool(state & 0x4), alt=bool(state & 0x8)))

    def _leave(self, _event) -> None:
        self.pointer = None
        self.on_input()

    def _wheel(self, event, notches: float) -> None:
        if self.image is None or not notches:
            return
        self._sync_view()
        self.mouse.wheel(notches, (event.x, event.y), self.area(), self.image_size)
        self._store_view()
        self.on_input()

    # ------------------------------------------------------------------------
    # Drawing.

    def draw(self, window_origin: tuple[int, int]) -> None:
        """Show the core's newest image with its view; log a VIEW line (window coordinates) when the view changes."""
        core = self.core
        if core.shown_image is not None and core.shown_image is not self.image:
            self.image = core.shown_image
            self.surface.set_image(self.image)
        self.surface.set_filter(core.view.filter)
        self._sync_view()
        size = self.image_size
        area = self.area()
        rect = self.mouse.view.image_rect(area, size) if size is not None else None
        self.surface.draw(rect)
        ox = self.surface.winfo_rootx() - window_origin[0]
        oy = self.surface.winfo_rooty() - window_origin[1]
        self._draw_labels(rect, (ox, oy))
        if rect is None:
            return
        full = self.full_area()
        view = ([rect[0] + ox, rect[1] + oy, rect[2], rect[3]], [ox, oy, full[2], full[3]], self.zoom())
        if view != self._last_view:
            self._last_view = view
            self.emit(f'VIEW rect={json.dumps(view[0])} clip={json.dumps(view[1])} zoom={view[2]:.6g}')

    def _draw_labels(self, rect, origin: tuple[int, int]) -> None:
        """The analysis picture's text over the image drawn at `rect`, one Tk label each (kept inside the surface)."""
        font = tkfont.nametofont('TkDefaultFont')
        result = self.core.shown_result if rect is not None and self.image_size is not None else None
        zoom = rect[2] / self.image_size[0] if result is not None else 1.0
        labels, _marks = figure_labels.picture_labels(result, zoom, font.measure, font.metrics('linespace'))
        em, (_x, _y, width, height) = font.metrics('linespace'), self.full_area()
        for label in labels:
            widget = self.labels.get(label.key)
            if widget is None:
                widget = self.labels[label.key] = tk.Label(self.frame, font=font, padx=2, pady=0, borderwidth=0, background='#1a1a1a')
            widget.configure(text=label.text, foreground=_hex(label.rgba[:3]))
            w, h = widget.winfo_reqwidth(), widget.winfo_reqheight()
            x = rect[0] + label.at[0] * zoom + label.offset[0] * em - label.anchor[0] * w
            y = rect[1] + label.at[1] * zoom + label.offset[1] * em - label.anchor[1] * h
            x, y = round(min(max(x, 0), width - w)), round(min(max(y, 0), height - h))
            widget.place(x=x, y=y)
            widget.lift()
            box = [x + origin[0], y + origin[1], x + origin[0] + w, y + origin[1] + h]
            if self._logged.get(label.key) != box:
                self._logged[label.key] = box
                self.emit(f'LABEL key={json.dumps(label.key)} text={json.dumps(label.text)} rect={json.dumps(box)}')
        for key in set(self.labels) - {label.key for label in labels}:
            self.labels.pop(key).destroy()
            self._logged.pop(key, None)

    def show_overlay(self, shown: texts.Overlay) -> None:
        """Errors at the top, the loading text in the middle, the preview tag in the lower right corner."""
        width = self.full_area()[2]
        if shown.errors:
            self.error.configure(text='\n'.join(shown.errors), wraplength=max(width - 40, 100))
            self.error.place(x=8, y=8)
            self.error.lift()
        else:
            self.error.place_forget()
        if shown.loading:
            self.loading.configure(text=shown.loading, wraplength=max(width - 40, 100))
            self.loading.place(relx=0.5, rely=0.5, anchor='center')
            self.loading.lift()
        else:
            self.loading.place_forget()
        if shown.preview:
            self.tag.place(relx=1.0, rely=1.0, x=-8, y=-8, anchor='se')
            self.tag.lift()
        else:
            self.tag.place_forget()

    def close(self) -> None:
        if self.surface is not None:
            self.surface.close()
