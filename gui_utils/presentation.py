"""Where a window goes in presentation mode (the image alone, for screen recorders): plain data, no toolkit."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PresentTarget:
    """Where presentation mode shows the window: full screen on `monitor`, or borderless at `size`."""
    monitor: int = 0                        # Index into glfw.get_monitors() (0 = the primary one).
    size: tuple[int, int] | None = None     # Fixed window size in screen coordinates, e.g. (1280, 720).

    @staticmethod
    def parse(text: str) -> 'PresentTarget':
        """'' or 'N' (full screen on monitor N) or 'WxH' (a borderless window of that size)."""
        text = text.strip().lower()
        if not text:
            return PresentTarget()
        if text.isdigit():
            return PresentTarget(monitor=int(text))
        parts = text.split('x')
        if len(parts) == 2 and all(p.isdigit() for p in parts) and all(64 <= int(p) <= 16384 for p in parts):
            return PresentTarget(size=(int(parts[0]), int(parts[1])))
        raise ValueError(f'presentation target {text!r}: expected a monitor number (0 = primary) or WIDTHxHEIGHT such as 1280x720')
