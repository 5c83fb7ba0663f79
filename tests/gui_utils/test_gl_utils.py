"""Textures and the image program in a core-profile context, checked by reading the frame back."""

import numpy as np
import pytest

from gui_utils import gl_utils, glfw_window

W, H = 320, 240
BACKGROUND = (0.0, 0.0, 0.0, 1.0)


@pytest.fixture(scope='module')
def window(xdisplay):
    w = glfw_window.GlfwWindow(title='test-gl-utils', window_width=W, window_height=H, fps_limit=1000)
    assert w.context_kind == 'core'
    w.clear_color = BACKGROUND
    yield w
    w.close()


@pytest.fixture(scope='module')
def program(window):
    p = gl_utils.ImageProgram()
    yield p
    p.delete()


def draw_and_read(window, draw):
    window.begin_frame()
    draw()
    pixels = window.read_pixels()
    window.end_frame()
    return pixels


def random_image(h, w, c, seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=(h, w, c), dtype=np.uint8)


@pytest.mark.parametrize('shape', [(48, 64, 3), (23, 37, 3), (31, 17, 4)])
def test_texture_drawn_at_zoom_1_reads_back_exactly(window, program, shape):
    image = random_image(*shape)
    texture = gl_utils.Texture(image)
    h, w = shape[:2]
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (10, 20, w, h)))
    texture.delete()
    np.testing.assert_array_equal(pixels[20:20 + h, 10:10 + w], image[:, :, :3])
    # Everything else is untouched background.
    mask = np.ones((H, W), dtype=bool)
    mask[20:20 + h, 10:10 + w] = False
    assert (pixels[mask] == 0).all()


def test_single_channel_image_is_grey(window, program):
    image = random_image(20, 30, 1)[:, :, 0]
    texture = gl_utils.Texture(image)
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (0, 0, 30, 20)))
    texture.delete()
    np.testing.assert_array_equal(pixels[:20, :30], np.repeat(image[:, :, None], 3, axis=2))


def test_reupload_same_size_reuses_storage(window, program):
    first, second = random_image(16, 24, 3, seed=1), random_image(16, 24, 3, seed=2)
    texture = gl_utils.Texture(first)
    texture.upload(second)
    assert texture.uploads == 1
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (0, 0, 24, 16)))
    np.testing.assert_array_equal(pixels[:16, :24], second)
    third = random_image(10, 12, 3, seed=3)
    texture.upload(third)
    assert texture.uploads == 2 and texture.shape == (10, 12, 3)
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (0, 0, 12, 10)))
    texture.delete()
    np.testing.assert_array_equal(pixels[:10, :12], third)


def test_nearest_zoom_repeats_each_pixel(window, program):
    image = random_image(12, 16, 3, seed=4)
    texture = gl_utils.Texture(image, filter='nearest')
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (5, 7, 16 * 3, 12 * 3)))
    texture.delete()
    expected = np.repeat(np.repeat(image, 3, axis=0), 3, axis=1)
    np.testing.assert_array_equal(pixels[7:7 + 36, 5:5 + 48], expected)


def test_linear_filter_interpolates_between_pixels(window, program):
    image = np.array([[[0, 0, 0], [200, 100, 50]]], dtype=np.uint8)   # 1 x 2
    texture = gl_utils.Texture(image, filter='linear')
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (0, 0, 64, 1)))
    texture.delete()
    row = pixels[0, :64, 0].astype(int)
    assert row[0] == 0 and row[-1] == 200
    assert (np.diff(row) >= 0).all() and 0 < row[32] < 200


def test_clip_rectangle_limits_drawing(window, program):
    image = np.full((50, 50, 3), 255, dtype=np.uint8)
    texture = gl_utils.Texture(image)
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (0, 0, 50, 50), clip=(10, 5, 20, 30)))
    texture.delete()
    inside = np.zeros((H, W), dtype=bool)
    inside[5:35, 10:30] = True
    assert (pixels[inside] == 255).all()
    assert (pixels[~inside] == 0).all()


def test_colormap_maps_the_red_channel(window, program):
    values = np.arange(256, dtype=np.uint8).reshape(16, 16)
    lut = np.stack([np.arange(256), 255 - np.arange(256), np.full(256, 77)], axis=1).astype(np.uint8)
    texture = gl_utils.Texture(values)
    cmap = gl_utils.colormap_texture(lut)
    assert cmap.shape == (1, 256, 3) and cmap.filter == 'linear'
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, (0, 0, 16, 16), colormap=cmap))
    texture.delete()
    cmap.delete()
    expected = lut[values.astype(int)]
    assert np.abs(pixels[:16, :16].astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize('zoom,pan', [(1.0, (0.0, 0.0)), (2.0, (7.0, -5.0)), (3.0, (-20.0, 11.0)), (0.5, (3.0, 4.0))])
def test_image_view_maps_screen_pixels_to_image_pixels(window, program, zoom, pan):
    image = random_image(40, 60, 3, seed=5)
    texture = gl_utils.Texture(image, filter='nearest')
    area = (30, 20, 200, 150)
    view = gl_utils.ImageView(zoom=zoom, pan=pan)
    rect = view.image_rect(area, (60, 40))
    assert rect[2:] == (round(60 * zoom), round(40 * zoom))
    pixels = draw_and_read(window, lambda: program.draw(texture, window.framebuffer_size, rect, clip=area))
    texture.delete()
    checked = 0
    for py in range(area[1], area[1] + area[3], 3):
        for px in range(area[0], area[0] + area[2], 3):
            hit = view.pixel_at((px + 0.5, py + 0.5), area, (60, 40))
            if hit is None:
                assert (pixels[py, px] == 0).all()
            elif zoom >= 1:                    # Magnified: every screen pixel shows exactly its image pixel.
                np.testing.assert_array_equal(pixels[py, px], image[hit[1], hit[0]])
                checked += 1
    assert zoom < 1 or checked > 100


def test_image_view_fit_zoom_steps_and_anchor():
    area = (0, 0, 300, 200)
    view = gl_utils.ImageView()
    assert view.effective_zoom(area, (64, 48)) == 200 / 48     # Fit fills the area, by a fractional factor.
    assert view.image_rect(area, (64, 48)) == (17, 0, 267, 200)
    assert gl_utils.ImageView.fit_zoom((480, 480), (256, 256)) == 1.875
    assert gl_utils.ImageView.fit_zoom((300, 200), (1024, 512)) == pytest.approx(300 / 1024)
    anchor = (100.5, 60.5)
    before = view.to_image(anchor, area, (64, 48))
    view.zoom_step(+1, anchor, area, (64, 48))
    assert view.zoom == 5.0
    after = view.to_image(anchor, area, (64, 48))
    assert after == pytest.approx(before, abs=0.2)              # The point under the cursor stays put.
    view.zoom_step(-2, anchor, area, (64, 48))
    assert view.zoom == 3.0
    view.zoom = 1.0
    view.zoom_step(-1, anchor, area, (64, 48))
    assert view.zoom == 0.5
    view.pan_by(10, -4)
    rect = view.image_rect(area, (64, 48))
    view.pan_by(-10, 4)
    assert view.image_rect(area, (64, 48))[0] == rect[0] - 10
    view.reset()
    assert view.zoom is None and view.pan == (0.0, 0.0)


def test_texture_rejects_bad_images(window):
    texture = gl_utils.Texture()
    with pytest.raises(ValueError, match='uint8'):
        texture.upload(np.zeros((4, 4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match='shape'):
        texture.upload(np.zeros((4, 4, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match='filter'):
        texture.set_filter('cubic')
    texture.delete()
