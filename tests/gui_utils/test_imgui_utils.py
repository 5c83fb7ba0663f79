"""imgui_utils in imgui's headless context: scripted mouse input, assertions on what the controls return."""

import imgui
import pytest

from gui_utils import imgui_utils


class Headless:
    """An imgui context without GL: feed mouse/keys per frame, draw inside one window at (0, 0)."""

    def __init__(self):
        self.context = imgui.create_context()
        self.io = imgui.get_io()
        self.io.ini_file_name = None
        self.io.display_size = (800, 600)
        self.io.fonts.get_tex_data_as_rgba32()

    def frame(self, draw, mouse=(-1, -1), down=False, shift=False, ctrl=False):
        self.io.delta_time = 1 / 60
        self.io.mouse_pos = mouse
        self.io.mouse_down[0] = down
        self.io.key_shift = shift
        self.io.key_ctrl = ctrl
        imgui.new_frame()
        imgui.set_next_window_position(0, 0)
        imgui.set_next_window_size(800, 600)
        imgui.begin('Test', flags=imgui.WINDOW_NO_TITLE_BAR | imgui.WINDOW_NO_MOVE)
        result = draw()
        imgui.end()
        imgui.render()
        return result

    def click(self, draw, point):
        """Hover, press, release (one frame each); return what draw returned on each frame."""
        return [self.frame(draw, point), self.frame(draw, point, down=True), self.frame(draw, point, down=False)]

    def close(self):
        imgui.destroy_context(self.context)


@pytest.fixture
def ui():
    h = Headless()
    yield h
    h.close()


def centre(rect):
    x0, y0, x1, y1 = rect
    return ((x0 + x1) / 2, (y0 + y1) / 2)


def test_item_recorder_finds_controls_where_a_click_hits_them(ui):
    seen = []
    recorder = imgui_utils.ItemRecorder(on_change=lambda label, rect: seen.append(label))
    recorder.install()
    try:
        def draw():
            imgui.text('padding')
            a = imgui.button('First')
            b = imgui.button('Second##b')
            return a, b
        ui.frame(draw)
        assert set(recorder.rects) == {'First', 'Second##b'} and seen == ['First', 'Second##b']
        results = ui.click(draw, centre(recorder.rects['Second##b']))
        assert (False, True) in results and (True, False) not in results
        assert seen == ['First', 'Second##b']         # Unmoved controls are reported once.
    finally:
        recorder.uninstall()
    assert not hasattr(imgui.button, '__wrapped__') and not hasattr(imgui.push_id, '__wrapped__')


def test_slider_with_reset_restores_the_default(ui):
    recorder = imgui_utils.ItemRecorder()
    recorder.install()
    value = [0.7]

    def draw():
        changed, new = imgui_utils.slider_with_reset('Psi##trunc', value[0], 0.0, 2.0, 1.0, width=200)
        value[0] = new
        return changed
    try:
        ui.frame(draw)
        assert set(recorder.rects) == {'Psi##trunc/Reset', 'Psi##trunc/##slider'}
        results = ui.click(draw, centre(recorder.rects['Psi##trunc/Reset']))
        assert any(results) and value[0] == 1.0
        # At the default the button is greyed out: clicking does nothing.
        results = ui.click(draw, centre(recorder.rects['Psi##trunc/Reset']))
        assert not any(results) and value[0] == 1.0
        # Clicking the slider's left end moves the value towards the minimum.
        x0, y0, x1, y1 = recorder.rects['Psi##trunc/##slider']
        ui.click(draw, (x0 + 3, (y0 + y1) / 2))
        assert value[0] < 0.1
    finally:
        recorder.uninstall()


def test_integer_slider_with_reset(ui):
    value = [3]

    def draw():
        changed, new = imgui_utils.slider_with_reset('Cutoff', value[0], 0, 16, 0, integer=True)
        value[0] = new
        return changed
    assert ui.frame(draw) is False
    assert isinstance(value[0], int)


def test_grayed_out_disables_clicks_and_shows_the_reason(ui):
    recorder = imgui_utils.ItemRecorder()
    recorder.install()
    try:
        def draw():
            with imgui_utils.grayed_out(True, 'No input transform in this network'):
                clicked = imgui.button('Disabled')
            with imgui_utils.grayed_out(False, 'unused'):
                clicked2 = imgui.button('Enabled')
            return clicked, clicked2
        ui.frame(draw)
        assert not any(r[0] for r in ui.click(draw, centre(recorder.rects['Disabled'])))
        assert any(r[1] for r in ui.click(draw, centre(recorder.rects['Enabled'])))
    finally:
        recorder.uninstall()


def test_drag_button_reports_motion_scaled_by_modifiers(ui):
    recorder = imgui_utils.ItemRecorder()
    recorder.install()
    draw = lambda: imgui_utils.drag_button('Drag', speed=0.5)
    try:
        ui.frame(draw)
        x, y = centre(recorder.rects['Drag'])
        ui.frame(draw, (x, y))
        ui.frame(draw, (x, y), down=True)
        dragging, dx, dy = ui.frame(draw, (x + 8, y - 4), down=True)
        assert dragging and dx == pytest.approx(4.0) and dy == pytest.approx(-2.0)
        dragging, dx, dy = ui.frame(draw, (x + 10, y - 4), down=True, shift=True)
        assert dragging and dx == pytest.approx(2 * 0.5 * 10)
        dragging, dx, dy = ui.frame(draw, (x + 20, y - 4), down=True, ctrl=True)
        assert dragging and dx == pytest.approx(10 * 0.5 * 0.1)
        dragging, dx, dy = ui.frame(draw, (x + 20, y - 4), down=False)
        assert not dragging and dx == 0
    finally:
        recorder.uninstall()


def test_scoped_ids_separate_equal_labels(ui):
    recorder = imgui_utils.ItemRecorder()
    recorder.install()
    try:
        def draw():
            out = []
            for name in ('a', 'b'):
                with imgui_utils.scoped_id(name), imgui_utils.item_width(120):
                    out.append(imgui.button('Same'))
            return out
        ui.frame(draw)
        # Both buttons are labelled 'Same'; the recorder names them by their scope, and clicking one
        # triggers only that one.
        assert set(recorder.rects) == {'a/Same', 'b/Same'}
        assert recorder.rects['a/Same'][1] < recorder.rects['b/Same'][1]
        results = ui.click(draw, centre(recorder.rects['b/Same']))
        assert [False, True] in results and [True, False] not in results and [True, True] not in results
        results = ui.click(draw, centre(recorder.rects['a/Same']))
        assert [True, False] in results and [False, True] not in results
    finally:
        recorder.uninstall()


def test_visible_label():
    assert imgui_utils.visible_label('Seed##latent') == 'Seed'
    assert imgui_utils.visible_label('##hidden') == ''
