"""Input and screen reads on an X server through ctypes, for benchmarks that time what a user sees.

Synthetic input goes through the XTEST extension on one connection (an event's time is taken right before it is
flushed to the server), and the screen is read with the core GetImage request through XCB on another, so a
poller can watch a small region every few milliseconds without starting a process per read (xdotool, import).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import threading
import time

KEYSYMS = {'Right': 0xFF53, 'Left': 0xFF51, 'Up': 0xFF52, 'Down': 0xFF54, 'Control_L': 0xFFE3, 'q': 0x0071}
Z_PIXMAP = 2


def _library(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    if path is None:
        raise OSError(f'lib{name} not found (needed for synthetic input and screen reads)')
    return ctypes.CDLL(path)


class XInput:
    """Pointer and keyboard events through XTEST; every method returns the time.time() of the event."""

    def __init__(self, display: str):
        self.x11 = _library('X11')
        self.xtst = _library('Xtst')
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.dpy = self.x11.XOpenDisplay(display.encode())
        if not self.dpy:
            raise OSError(f'cannot open X display {display}')

    def _flush(self) -> float:
        t = time.time()
        self.x11.XFlush(self.dpy)
        return t

    def move(self, x: float, y: float) -> float:
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, int(round(x)), int(round(y)), 0)
        return self._flush()

    def button(self, button: int, down: bool) -> float:
        self.xtst.XTestFakeButtonEvent(self.dpy, button, int(down), 0)
        return self._flush()

    def key(self, name: str, down: bool) -> float:
        code = self.x11.XKeysymToKeycode(self.dpy, KEYSYMS[name])
        self.xtst.XTestFakeKeyEvent(self.dpy, code, int(down), 0)
        return self._flush()

    def tap(self, name: str, hold: float = 0.03) -> float:
        """Press and release a key; the time of the press."""
        t = self.key(name, True)
        time.sleep(hold)
        self.key(name, False)
        return t

    def close(self) -> None:
        if self.dpy:
            self.x11.XCloseDisplay(self.dpy)
            self.dpy = None


class _ScreenIterator(ctypes.Structure):
    _fields_ = [('data', ctypes.POINTER(ctypes.c_uint32)), ('rem', ctypes.c_int), ('index', ctypes.c_int)]


class _Cookie(ctypes.Structure):
    _fields_ = [('sequence', ctypes.c_uint)]


class ScreenReader:
    """Pixels of a rectangle of the root window (XCB GetImage), as bytes."""

    def __init__(self, display: str):
        self.xcb = _library('xcb')
        self.libc = ctypes.CDLL(None)
        self.xcb.xcb_connect.restype = ctypes.c_void_p
        self.xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        self.xcb.xcb_get_setup.restype = ctypes.c_void_p
        self.xcb.xcb_get_setup.argtypes = [ctypes.c_void_p]
        self.xcb.xcb_setup_roots_iterator.restype = _ScreenIterator
        self.xcb.xcb_setup_roots_iterator.argtypes = [ctypes.c_void_p]
        self.xcb.xcb_get_image.restype = _Cookie
        self.xcb.xcb_get_image.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint32, ctypes.c_int16, ctypes.c_int16,
            ctypes.c_uint16, ctypes.c_uint16, ctypes.c_uint32]
        self.xcb.xcb_get_image_reply.restype = ctypes.c_void_p
        self.xcb.xcb_get_image_reply.argtypes = [ctypes.c_void_p, _Cookie, ctypes.c_void_p]
        self.xcb.xcb_get_image_data.restype = ctypes.c_void_p
        self.xcb.xcb_get_image_data.argtypes = [ctypes.c_void_p]
        self.xcb.xcb_get_image_data_length.restype = ctypes.c_int
        self.xcb.xcb_get_image_data_length.argtypes = [ctypes.c_void_p]
        self.xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
        self.libc.free.argtypes = [ctypes.c_void_p]
        self.conn = self.xcb.xcb_connect(display.encode(), None)
        self.root = self.xcb.xcb_setup_roots_iterator(self.xcb.xcb_get_setup(self.conn)).data[0]

    def read(self, x: int, y: int, w: int, h: int) -> bytes:
        cookie = self.xcb.xcb_get_image(self.conn, Z_PIXMAP, self.root, x, y, w, h, 0xFFFFFFFF)
        reply = self.xcb.xcb_get_image_reply(self.conn, cookie, None)
        if not reply:
            raise OSError(f'GetImage of {w}x{h} at ({x}, {y}) failed')
        try:
            return ctypes.string_at(self.xcb.xcb_get_image_data(reply), self.xcb.xcb_get_image_data_length(reply))
        finally:
            self.libc.free(reply)

    def close(self) -> None:
        if self.conn:
            self.xcb.xcb_disconnect(self.conn)
            self.conn = None


class ChangePoller:
    """Reads a rectangle of the screen every `period` seconds on its own thread and keeps the times at which
    its content changed: `changes` is a list of (time.time() of the read, digest), the first entry the start."""

    def __init__(self, display: str, rect: tuple[int, int, int, int], period: float = 0.004):
        self.reader = ScreenReader(display)
        self.rect = rect
        self.period = period
        self.changes: list[tuple[float, bytes]] = []
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='screen-poller', daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = None
        while not self._stop.is_set():
            t = time.time()
            digest = hashlib.blake2b(self.reader.read(*self.rect), digest_size=16).digest()
            self.reads += 1
            if digest != last:
                self.changes.append((t, digest))
                last = digest
            self._stop.wait(self.period)

    def first_change_after(self, t: float) -> float | None:
        """The time of the first read after `t` that differs from the screen as it was at `t`."""
        before = None
        for when, digest in self.changes:
            if when <= t:
                before = digest
            elif digest != before:
                return when
        return None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.reader.close()
