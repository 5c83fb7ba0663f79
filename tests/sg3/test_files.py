"""sg3.files: written whole or not at all, with a plain open()'s permissions."""

import os
import stat

import pytest

from sg3 import files


def test_atomic_write_replaces_whole_with_umask_permissions(tmp_path):
    path = tmp_path / 'w.npz'
    path.write_bytes(b'old')
    old_umask = os.umask(0o022)
    try:
        files.atomic_write(str(path), lambda f: f.write(b'new'))
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b'new' and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ['w.npz']


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / 'w.npz'
    path.write_bytes(b'old')

    def fail(f):
        f.write(b'half')
        raise OSError(28, 'No space left on device')
    with pytest.raises(OSError, match='No space left'):
        files.atomic_write(str(path), fail)
    assert path.read_bytes() == b'old' and sorted(p.name for p in tmp_path.iterdir()) == ['w.npz']
