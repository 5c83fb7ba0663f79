"""Loading networks from http(s) URLs: a local HTTP server on 127.0.0.1 serves good, missing and
interrupted downloads; the cache keeps only complete files and is reused."""

import argparse
import io
import os
import socket

import pytest
import torch

from sg3 import checkpoint, cli_checkpoint
from sg3.errors import CheckpointError
from sg3.progress import ProgressBar
from tests.local_http import send_file, serve
from tests.sg3 import pickle_writer

#----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def network_bytes():
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan2', seed=3)
    return G, pickle_writer.dumps(pickle_writer.snapshot(pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)))

@pytest.fixture(scope='module')
def server(network_bytes):
    """Serves /net.pkl (with length), /stream.pkl (no length), /cut.pkl (closes halfway) and 404 otherwise."""
    _, data = network_bytes

    def respond(handler):
        if handler.path not in ('/net.pkl', '/stream.pkl', '/cut.pkl'):
            handler.send_error(404, 'Not Found')
        else:
            send_file(handler, data, length=handler.path != '/stream.pkl', body=data[:len(data) // 2] if handler.path == '/cut.pkl' else None)

    with serve(respond) as (url, requests):
        yield url, requests

def same_outputs(G1, G2) -> bool:
    z = torch.randn([2, G1.z_dim], generator=torch.Generator().manual_seed(0))
    return torch.equal(G1(z, None, noise_mode='const'), G2(z, None, noise_mode='const'))

#----------------------------------------------------------------------------

def test_download_progress_and_reuse(tmp_path, server, network_bytes):
    url, requests = server
    G, data = network_bytes
    cache = tmp_path / 'cache'
    calls = []
    loaded = checkpoint.load_network(f'{url}/net.pkl', cache_dir=str(cache), progress=lambda done, total: calls.append((done, total)))
    assert same_outputs(loaded.G, G)
    assert loaded.info.source == f'{url}/net.pkl'
    assert loaded.info.path == checkpoint.cached_path(f'{url}/net.pkl', str(cache))
    assert os.listdir(cache) == [os.path.basename(loaded.info.path)] and loaded.info.path.endswith('_net.pkl')
    assert open(loaded.info.path, 'rb').read() == data
    assert calls[0] == (0, len(data)) and calls[-1] == (len(data), len(data))
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))

    # The next time, the cached file is used: no request, no progress.
    count = len(requests)
    calls.clear()
    again = checkpoint.load_network(f'{url}/net.pkl', cache_dir=str(cache), progress=lambda done, total: calls.append((done, total)))
    assert len(requests) == count and calls == []
    assert same_outputs(again.G, G)

def test_cache_folder_from_environment(tmp_path, server, network_bytes, monkeypatch):
    url, _ = server
    monkeypatch.setenv('SG3_CACHE_DIR', str(tmp_path / 'from-env'))
    calls = []
    loaded = checkpoint.load_network(f'{url}/stream.pkl', progress=lambda done, total: calls.append((done, total)))
    assert loaded.info.path.startswith(str(tmp_path / 'from-env') + os.sep)
    assert calls[-1] == (len(network_bytes[1]), None) # No Content-Length: the total is unknown.
    monkeypatch.delenv('SG3_CACHE_DIR')
    assert checkpoint.cache_folder() == os.path.expanduser(os.path.join('~', '.cache', 'sg3-viz', 'downloads'))

def test_http_error(tmp_path, server):
    url, _ = server
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match=rf'^{url}/nothing.pkl: the server answered HTTP 404 Not Found; expected the network file'):
        checkpoint.load_network(f'{url}/nothing.pkl', cache_dir=str(cache))
    assert os.listdir(cache) == []

def test_interrupted_download_keeps_nothing(tmp_path, server):
    url, _ = server
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match=rf'^{url}/cut.pkl: the download was interrupted .*nothing was kept, try again'):
        checkpoint.load_network(f'{url}/cut.pkl', cache_dir=str(cache))
    assert os.listdir(cache) == []

def test_cli_ends_the_progress_line_before_the_error(tmp_path, server, capsys, monkeypatch):
    url, _ = server
    monkeypatch.setenv('SG3_CACHE_DIR', str(tmp_path / 'cache'))
    assert cli_checkpoint.run_info(argparse.Namespace(source=f'{url}/cut.pkl', key=None)) == 2
    err = capsys.readouterr().err
    assert '\rDownloading: ' in err and '\nerror: ' in err and err.endswith('nothing was kept, try again\n')
    assert all('error:' not in line or line.startswith('error:') for line in err.split('\n'))

def test_progress_bar_ends_its_line_when_the_work_stops_early():
    stream = io.StringIO()
    with pytest.raises(CheckpointError):
        with ProgressBar(3, label='work', stream=stream) as bar:
            bar.update()
            raise CheckpointError('stopped')
    assert stream.getvalue().startswith('\rwork [') and stream.getvalue().endswith(' left\n')
    stream = io.StringIO()
    with ProgressBar(2, label='work', stream=stream) as bar:
        bar.update()
        bar.update()
    assert stream.getvalue().count('\n') == 1 and stream.getvalue().endswith('\n')   # Finished: one newline, not two.

def test_offline(tmp_path):
    with socket.socket() as sock: # A port that nothing listens on.
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    url = f'http://127.0.0.1:{port}/net.pkl'
    with pytest.raises(CheckpointError, match=rf'^{url}: could not connect .*check the network connection, or download the file yourself'):
        checkpoint.load_network(url, cache_dir=str(tmp_path / 'cache'))
    assert os.listdir(tmp_path / 'cache') == []

def test_cached_names():
    a = checkpoint.cached_path('https://example.org/models/stylegan3-t-ffhq-1024x1024.pkl', '/c')
    b = checkpoint.cached_path('https://example.org/other/stylegan3-t-ffhq-1024x1024.pkl', '/c')
    assert a != b and a.startswith('/c/') and a.endswith('_stylegan3-t-ffhq-1024x1024.pkl')
    assert checkpoint.cached_path('https://example.org/', '/c').endswith('_network')
    assert '..' not in checkpoint.cached_path('https://example.org/../..', '/c')
    assert checkpoint.is_url('HTTPS://x/y') and checkpoint.is_url('http://x') and not checkpoint.is_url('ftp://x') and not checkpoint.is_url('net.pkl')

#----------------------------------------------------------------------------
