"""End-to-end: the real app at 1280x800 and 1600x1000 with every section of the pane open, on a real network: no
text is cut off. The app prints an ITEM line for each control and each plain text with its rectangle, the width
of its label or text, the right edge of its window's content region and whether that window scrolls sideways."""

import json

import pytest

from tests.viz.imgui.e2e import HEADERS, quit_cleanly, rendered, start, submitted, xdo
from viz.core import settings as settings_mod

SLACK = 0.5                                     # Rounding of the recorded rectangles.


def latest_items(app) -> dict:
    """The newest ITEM line of each name: {name: item}."""
    items = {}
    for line in list(app.lines):
        if line.startswith('ITEM '):
            item = json.loads(line[5:])
            items[item['label']] = item
    return items


def clipped(items: dict, pane: list[float]) -> list[str]:
    """Items that end past their window's right edge (unless that window is a part of the pane that scrolls
    sideways, the layer table), and controls whose label is wider than the control."""
    found = []
    for name, item in items.items():
        x0, _y0, x1, _y1 = item['rect']
        if x1 > item['clip'] + SLACK and not (item['scrolls'] and item['window'] != pane):
            found.append(f'{name}: ends at {x1}, the window at {item["clip"]}')
        elif '#text' not in name.rsplit('/', 1)[-1] and item['text'] > x1 - x0 + SLACK:
            found.append(f'{name}: label {item["text"]} wide in {x1 - x0}')
    return found


@pytest.mark.parametrize('size', ['1280x800', '1600x1000'])
def test_no_text_is_cut_off_with_every_section_open(xdisplay, xdotool, tiny_network, tmp_path, size):
    settings_mod.save_settings(settings_mod.Settings(open_sections=HEADERS + ('Session',)), tmp_path / 'config')
    app = start(tmp_path, tiny_network, '--window-size', size)
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        app.wait_for(rendered(stamp), what='first render')
        app.wait_item('Session/Save session')
        header = app.item('Layers/Layers')
        xdo('mousemove', '--window', app.wid, 100, 300)         # Scroll the pane down to the layer table (imgui skips
        for _ in range(30):                                     # the rows of a table out of sight).
            xdo('click', 5)
            if (app.item('Layers/Layers') or header)[1] < 200:
                break
        app.wait_for(lambda line: line.startswith('ITEM ') and 'L0_' in line, what='the layer table')
        items = latest_items(app)
        assert all(f'{title}/{title}' in items for title in HEADERS)
        pane = items['Network/Network']['window']
        table = [item for name, item in items.items() if name.startswith('Layers/') and 'L0_' in name]
        assert table and all(item['window'] != pane for item in table)
        problems = clipped(items, pane)
        assert not problems, '\n'.join(problems)
        quit_cleanly(app)
    finally:
        app.close()
