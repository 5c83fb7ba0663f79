"""A small least-recently-used cache for the render thread (networks, mappings, layer lists, analysis results)."""

from __future__ import annotations

import collections
from typing import Any, Callable


class LRU(collections.OrderedDict):
    """A dict that keeps at most `size` entries, dropping the least recently used. Setting an entry, `get` and
    `get_or` count as a use; `in` and indexing do not."""

    def __init__(self, size: int) -> None:
        super().__init__()
        assert size >= 1
        self.size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            return default
        self.move_to_end(key)
        return self[key]

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        """The entry for `key`, made by `make()` and stored if missing."""
        if key in self:
            return self.get(key)
        value = make()
        self[key] = value
        return value
