"""viz.files: numbered names that never overwrite, and atomic writes that leave nothing behind on failure."""

import os

import pytest

from viz import files


def test_numbered_names_follow_the_highest_number_and_never_overwrite(tmp_path):
    folder = tmp_path / 'new' / 'folder'
    assert files.numbered_path(folder, 'x', 'png').name == 'x-00001.png'    # The folder is created.
    (folder / 'x-00007.png').write_bytes(b'keep me')
    (folder / 'x-00009.npz').write_bytes(b'other extension')
    (folder / 'y-00012.png').write_bytes(b'other stem')
    assert [files.numbered_path(folder, 'x', 'png').name for _ in range(2)] == ['x-00008.png', 'x-00009.png']
    assert (folder / 'x-00007.png').read_bytes() == b'keep me'
    assert (folder / 'x-00009.png').read_bytes() == b''                      # Reserved, empty.


def test_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / 'a.bin'
    path.write_bytes(b'old')
    seen = []

    def write(f):
        f.write(b'new ')
        seen.append(path.read_bytes())                                      # Mid-write, the old file is intact.
        f.write(b'contents')
    assert files.atomic_write(path, write) == path
    assert path.read_bytes() == b'new contents' and seen == [b'old']
    assert os.listdir(tmp_path) == ['a.bin']                                # No temporary file left.
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())      # Permissions as a plain open() gives.


def test_a_failing_writer_leaves_no_file(tmp_path):
    def broken(f):
        f.write(b'half a file')
        raise RuntimeError('disk on fire')
    path = tmp_path / 'kept.bin'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='disk on fire'):
        files.atomic_write(path, broken)
    assert path.read_bytes() == b'old' and os.listdir(tmp_path) == ['kept.bin']
    with pytest.raises(RuntimeError, match='disk on fire'):
        files.write_numbered(tmp_path / 'out', 'spectrum', 'png', broken)
    assert os.listdir(tmp_path / 'out') == []                               # Not even the reserved name.
    path = files.write_numbered(tmp_path / 'out', 'spectrum', 'png', lambda f: f.write(b'ok'))
    assert path.name == 'spectrum-00001.png' and path.read_bytes() == b'ok'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_captures_are_numbered_pngs_written_atomically(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image
    from viz.core import capture
    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    path = capture.save_png(image, tmp_path, 'image', {'request': '{"seed": 1}'})
    with Image.open(path) as saved:
        np.testing.assert_array_equal(np.asarray(saved), image)
        assert path.name == 'image-00001.png' and saved.text == {'request': '{"seed": 1}'}

    def full_disk(*args, **kwargs):
        raise OSError('no space left')
    monkeypatch.setattr(Image.Image, 'save', full_disk)
    with pytest.raises(OSError, match='no space left'):
        capture.save_png(image, tmp_path, 'image')
    assert os.listdir(tmp_path) == ['image-00001.png']
