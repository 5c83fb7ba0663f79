"""viz.render.cache.LRU: keeps the most recently used entries."""

from viz.render.cache import LRU


def test_lru_drops_the_least_recently_used():
    cache = LRU(2)
    cache['a'] = 1
    cache['b'] = 2
    assert cache.get('a') == 1                                              # 'a' is now the most recent.
    cache['c'] = 3
    assert list(cache) == ['a', 'c'] and cache.get('b') is None and cache.get('b', 0) == 0
    made = []
    assert cache.get_or('d', lambda: made.append(1) or 4) == 4
    assert cache.get_or('d', lambda: made.append(1) or 5) == 4 and made == [1]
    assert list(cache) == ['c', 'd']
    cache['c'] = 30                                                         # Setting counts as a use.
    cache['e'] = 5
    assert list(cache) == ['c', 'e'] and cache['c'] == 30
