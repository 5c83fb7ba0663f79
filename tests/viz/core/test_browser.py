"""The file browser's model (listing, selection, typed paths, opening through the core), the app's `open` action for
networks, sessions and timelines, the remembered browse folder and recent folders, and NVIDIA's published list."""

from __future__ import annotations

import os
import pathlib

import pytest

from tests.viz.fakes import FakeWorker
from viz.core import browser, published, shortcuts, texts
from viz.core.browser import FileBrowser, list_folder
from viz.core.view_core import ViewCore


@pytest.fixture
def core(tmp_path):
    return ViewCore(FakeWorker(), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'))


def make_tree(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / 'data'
    for folder in ('Zeta', 'alpha', '.cache'):
        (root / folder).mkdir(parents=True)
    for name in ('B.pkl', 'a.safetensors', 'view.JSON', 'notes.txt', '.hidden.pkl'):
        (root / name).write_bytes(b'x')
    return root


def names(listing) -> list[str]:
    return [(e.label, e.kind) for e in listing.entries]


def test_listing_parent_folders_then_openable_files_sorted_without_hidden_ones(tmp_path):
    root = make_tree(tmp_path)
    listing = list_folder(str(root))
    assert names(listing) == [('../', 'parent'), ('alpha/', 'folder'), ('Zeta/', 'folder'), ('a.safetensors', 'network'),
        ('B.pkl', 'network'), ('view.JSON', 'json')] and listing.note is None
    assert listing.entries[0].path == str(tmp_path) and listing.entries[3].path == str(root / 'a.safetensors')
    assert names(list_folder(str(root / 'alpha')))[1:] == [] and 'No networks' in list_folder(str(root / 'alpha')).note
    assert list_folder('/').entries[0].kind != 'parent'                      # The top has no parent.
    assert list_folder(str(root / 'missing')).note.startswith('Not a folder')
    assert list_folder(str(root / 'B.pkl')).note.startswith('Not a folder')
    assert list_folder('a\0b').note.startswith('Not a folder')              # Never raises for what a user typed.


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads any folder')
def test_an_unreadable_folder_is_a_note(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0)
    try:
        listing = list_folder(str(locked))
        assert listing.note.startswith('Cannot list') and names(listing) == [('../', 'parent')]
    finally:
        locked.chmod(0o755)


def test_browser_moves_enters_opens_and_types_paths(core, tmp_path):
    root = make_tree(tmp_path)
    core.act('network', 'set_browse_dir', str(root))
    model = FileBrowser()
    model.sync(core)
    assert model.entries[model.selected].label == 'a.safetensors' and model.typed == str(root)   # The first file.
    model.move(-1)
    assert not model.activate(core) and core.network.state.browse_dir == str(root / 'Zeta')      # A folder: entered.
    model.sync(core)
    model.up(core)
    assert core.network.state.browse_dir == str(root)
    model.sync(core)
    model.move(100)
    assert model.entries[model.selected].label == 'view.JSON'                                      # Stays in the list.
    model.move(-100)
    assert model.selected == 0
    assert model.activate(core, 4) and core.network.state.source == str(root / 'B.pkl')            # A file: opened.
    assert not model.submit(core, 'alpha') and core.network.state.browse_dir == str(root / 'alpha')  # Relative to the folder.
    model.sync(core)
    assert model.submit(core, str(root / 'a.safetensors')) and core.network.state.source == str(root / 'a.safetensors')
    assert not model.submit(core, 'nothing.pkl') and model.note == f'No such file or folder: {root / "alpha" / "nothing.pkl"}'
    assert not model.submit(core, '   ') and not model.activate(core, 99)


def test_open_does_the_right_thing_for_networks_sessions_and_timelines(core, tmp_path):
    core.act('latent', 'set', x=5.0)
    assert core.save_session(str(tmp_path / 'view.json'))
    core.act('app', 'make_seed_loop', '1, 2', 1.0)
    assert core.act('app', 'save_timeline', str(tmp_path / 'loop.json'))
    core.act('app', 'clear_timeline')
    core.act('latent', 'set', x=0.0)
    core.act('app', 'open', str(tmp_path / 'view.json'))
    assert core.controllers['latent'].state.x == 5.0 and core.message.text.startswith('Session loaded')
    core.act('app', 'open', str(tmp_path / 'loop.json'))
    assert len(core.timeline.keyframes) == 2
    (tmp_path / 'nets').mkdir()
    (tmp_path / 'nets' / 'x.pkl').write_bytes(b'x')
    core.act('app', 'open', str(tmp_path / 'nets' / 'x.pkl'))
    core.act('app', 'open', 'https://example.com/y.pkl')
    assert core.network.state.source == 'https://example.com/y.pkl'
    assert core.settings.recent_folders == (str(tmp_path / 'nets'), str(tmp_path))   # Local files' folders, newest first.
    core.act('app', 'open', None)
    assert core.message.error and 'expected a file path' in core.message.text


def test_browse_folder_and_recent_folders_are_remembered(tmp_path):
    first = ViewCore(FakeWorker(), config_dir=tmp_path / 'config')
    (tmp_path / 'nets').mkdir()
    (tmp_path / 'nets' / 'x.pkl').write_bytes(b'x')
    first.act('network', 'set_browse_dir', str(tmp_path / 'nets'))
    first.act('app', 'open', str(tmp_path / 'nets' / 'x.pkl'))
    first.close()
    second = ViewCore(FakeWorker(), config_dir=tmp_path / 'config')
    assert second.network.state.browse_dir == str(tmp_path / 'nets')
    assert browser.recent_folders(second) == [str(tmp_path / 'nets')]
    (tmp_path / 'nets' / 'x.pkl').unlink()
    (tmp_path / 'nets').rmdir()
    assert browser.recent_folders(second) == []                                  # Gone folders are not offered.


def test_published_list_matches_the_stylegan3_readme():
    nets = published.published_networks(base='')
    assert len(nets) == 27 and len({n.file for n in nets}) == 27
    sg3 = [n for n in nets if n.config != 'stylegan2']
    assert sorted(n.name for n in sg3) == sorted(f'stylegan3-{c}-{d}' for c in 'tr' for d in (
        'afhqv2-512x512', 'ffhq-1024x1024', 'ffhqu-256x256', 'ffhqu-1024x1024', 'metfaces-1024x1024', 'metfacesu-1024x1024'))
    assert published.find('https://api.ngc.nvidia.com/v2/models/nvidia/research/stylegan3/versions/1/files/'
        'stylegan3-r-afhqv2-512x512.pkl').resolution == 512
    cifar = published.find('https://api.ngc.nvidia.com/v2/models/nvidia/research/stylegan2/versions/1/files/stylegan2-cifar10-32x32.pkl')
    assert (cifar.config, cifar.dataset, cifar.resolution) == ('stylegan2', 'cifar10', 32)
    assert all(n.size_mb is None for n in nets)                                  # Not published: not made up.
    with pytest.raises(ValueError, match='known dataset'):
        published.parse('stylegan3-t-cats-512x512.pkl')


def test_published_base_override_and_readme_table(monkeypatch):
    monkeypatch.setenv(published.BASE_ENV, 'http://127.0.0.1:8000/files/')
    assert published.published_networks()[0].url == 'http://127.0.0.1:8000/files/stylegan3-t-ffhq-1024x1024.pkl'
    assert published.find('http://127.0.0.1:8000/files/stylegan2-lsundog-256x256.pkl').dataset == 'lsundog'
    readme = (pathlib.Path(__file__).resolve().parents[3] / 'README.md').read_text()
    assert published.readme_table() in readme                                   # The README lists the same (NVIDIA's URLs).


def test_help_says_how_to_open_a_network():
    """The help (F1, both front ends draw help_rows) names the ways to open a network, by the controls' own labels; the
    README's table is the same."""
    rows = dict(shortcuts.help_rows())
    assert {'Network box + Enter', 'Open... (Network section)', 'System dialog...', texts.PUBLISHED_PLACEHOLDER} <= set(rows)
    assert 'type a path + Enter, or arrows + Enter' in rows['Open... (Network section)']
    readme = (pathlib.Path(__file__).resolve().parents[3] / 'README.md').read_text()
    assert shortcuts.help_markdown() in readme
