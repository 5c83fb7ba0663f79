"""A small progress bar for the command-line tools, written to stderr (no third-party package)."""

import sys
import time

#----------------------------------------------------------------------------

class ProgressBar:
    def __init__(self, total: int, label: str = '', stream=None, width: int = 30):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.start = time.perf_counter()

    def update(self, done: int | None = None) -> None:
        """Advance by one, or set the count to `done`, and redraw."""
        self.done = self.done + 1 if done is None else int(done)
        fraction = min(self.done / self.total, 1.0)
        filled = int(round(fraction * self.width))
        elapsed = time.perf_counter() - self.start
        eta = f'{elapsed / fraction - elapsed:.1f}s' if fraction > 0 else '?'
        bar = '#' * filled + '-' * (self.width - filled)
        self.stream.write(f'\r{self.label} [{bar}] {self.done}/{self.total} {elapsed:.1f}s elapsed, {eta} left')
        if self.done >= self.total:
            self.stream.write('\n')
        self.stream.flush()

#----------------------------------------------------------------------------
