"""Every slider of the pane writes its value beside it, where its grab cannot cover it (imgui's own text sits in the
middle of the slider, where the grab passes): the value text's rectangle lies right of the slider's, on its row, at
either end of the range. Typing a value (Ctrl+click) still works."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from gui_utils.imgui_utils import ItemRecorder
from tests.viz.fakes import summary
from tests.viz.imgui.test_views import LAYERS, layer_stats
from viz.imgui.views import VIEW_CLASSES

VALUE = ':value/#text0'                         # The value text of slider 'X' is recorded as 'X:value/#text0'.


def texts_recorder(gui) -> ItemRecorder:
    """The harness's recorder, now also recording plain text."""
    gui.recorder.uninstall()
    gui.recorder = ItemRecorder(texts=True)
    gui.recorder.install()
    return gui.recorder


def intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_value_beside(gui, slider: str, text: str | None = None) -> None:
    """The value text of `slider` lies right of its frame (which holds the grab), on its row; it reads `text`."""
    rects = gui.recorder.rects
    key = gui.key(slider)
    frame, value = rects[key], rects[key + VALUE]
    assert not intersect(frame, value) and value[0] >= frame[2], (slider, frame, value)
    assert frame[1] <= (value[1] + value[3]) / 2 <= frame[3]
    assert text is None or text in gui.texts


def test_every_slider_of_the_pane_writes_its_value_outside_its_frame(gui, monkeypatch):
    labels = []
    for name in ('slider_float', 'slider_int'):
        original = getattr(imgui, name)
        monkeypatch.setattr(imgui, name, lambda label, *a, _original=original, **k: (labels.append(label), _original(label, *a, **k))[1])
    texts_recorder(gui)
    core = gui.core
    core.act('latent', 'set', anim=True)
    core.act('trunc_noise', 'set', use_cutoff=True)
    core.act('analysis', 'set', eq_auto_scale=False)
    gui.show(*[cls() for cls in VIEW_CLASSES])
    gui.deliver(network=summary(num_ws=6), layers=LAYERS, stats=layer_stats())
    sliders = {key[:-len(VALUE)] for key in gui.recorder.rects if key.endswith(VALUE)}
    assert {key.rsplit('/', 1)[-1] for key in sliders} >= set(labels) and len(sliders) >= 11
    assert {key.split('/', 1)[1] for key in sliders} >= {'##speed', '##psi/##slider', '##cutoff', '##scale', '##eqscalemax', '##channel',
        '##gain/##slider', 'Kaiser beta##spectrum/##slider', '##fps/##slider', '##scrub', '##videoquality'}
    for key in sliders:
        assert_value_beside(gui, key)
    assert {'psi 1.00', 'first 6 ws', 'x1.000', '+0.0 dB', '60 fps', '8.0', 'CRF 18'} <= set(gui.texts)


def test_the_value_stays_beside_the_grab_at_both_ends_and_nothing_moves(gui):
    texts_recorder(gui)
    core = gui.core
    core.act('latent', 'set', anim=True)
    gui.show(VIEW_CLASSES[1]())
    value_rect = gui.recorder.rects[gui.key('##speed') + VALUE]
    button = gui.recorder.rects[gui.key('Snap')]
    gui.drag('##speed', 2000)                   # Far past the right end: the grab is as near the value as it gets.
    assert core.controllers['latent'].state.speed == 5.0
    assert_value_beside(gui, '##speed', '5.00 seeds/s')
    gui.drag('##speed', -2000)
    assert core.controllers['latent'].state.speed == -5.0
    assert_value_beside(gui, '##speed', '-5.00 seeds/s')
    assert gui.recorder.rects[gui.key('Snap')] == button            # The value's room fits the widest value.
    assert gui.recorder.rects[gui.key('##speed') + VALUE][2] == value_rect[2]


def test_ctrl_click_types_a_value_and_shows_it_inside_meanwhile(gui):
    core = gui.core
    core.act('latent', 'set', anim=True)
    gui.show(VIEW_CLASSES[1]())
    io = imgui.get_io()
    io.key_ctrl = True
    gui.click('##speed')
    io.key_ctrl = False
    assert io.want_text_input and '##speed' in imgui_utils._typing
    for ch in '1.5':
        io.add_input_character(ord(ch))
    gui.frame()
    gui.press(imgui.KEY_ENTER)
    gui.frame()
    assert core.controllers['latent'].state.speed == 1.5 and '1.50 seeds/s' in gui.texts
    assert '##speed' not in imgui_utils._typing
