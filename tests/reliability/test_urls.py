"""Network files from hostile or broken servers (a local HTTP server on 127.0.0.1) and troubled cache folders:
slow and stalled servers (time-outs that name the URL and the seconds, and a cancel that stops a stalled read),
redirect loops and redirects to other schemes, a Content-Length that lies, schemes other than http(s), a cache
folder that cannot be created, is read-only or fills up, and two downloads of one URL at once (one download,
both load it). Every failure is a CheckpointError naming the URL, and the cache never keeps a partial file."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

import sg3
from sg3 import checkpoint, download
from sg3.errors import CheckpointError
from tests.reliability.common import REPO, listing, settle, try_mount_tmpfs, unmount, wait_until
from tests.sg3 import pickle_writer
from viz.core.view_core import ViewCore
from viz.render.renderer import Renderer, default_load
from viz.render.worker import RenderWorker

pytestmark = pytest.mark.usefixtures('one_thread')

READ_TIMEOUT = 0.5


@pytest.fixture(scope='module')
def network_bytes():
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan2', seed=3)
    return pickle_writer.dumps(pickle_writer.snapshot(pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)))


class Server:
    """/net.pkl (with length), /stream.pkl (no length), /slow.pkl (a chunk every 0.1 s), /stall-head (never answers),
    /stall-body (half, then nothing), /short (claims twice what it sends), /long (claims half what it sends), /huge
    (claims 1 PB), /html (a web page), /loop (redirects forever), /hop (one redirect to /net.pkl), /to-file and
    /to-ftp (redirect there), /held.pkl (waits for `release` before its second half). Counts requests per path."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.requests: dict[str, int] = {}
        self.release = threading.Event()
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests[self.path] = server.requests.get(self.path, 0) + 1
                server.serve(self, self.path)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _head(self, h, length=None, code=200, **headers):
        h.send_response(code)
        h.send_header('Content-Type', 'application/octet-stream')
        if length is not None:
            h.send_header('Content-Length', str(length))
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        h.close_connection = True

    def serve(self, h, path):
        data, half = self.data, len(self.data) // 2
        try:
            if path == '/net.pkl':
                self._head(h, len(data))
                h.wfile.write(data)
            elif path == '/stream.pkl':
                self._head(h)
                h.wfile.write(data)
            elif path == '/slow.pkl':
                self._head(h, len(data))
                step = len(data) // 8 + 1
                for i in range(0, len(data), step):
                    h.wfile.write(data[i:i + step])
                    h.wfile.flush()
                    self.stop.wait(0.1)
            elif path == '/stall-head':
                self.stop.wait(30)
            elif path == '/stall-body':
                self._head(h, len(data))
                h.wfile.write(data[:half])
                h.wfile.flush()
                self.stop.wait(30)
            elif path == '/held.pkl':
                self._head(h, len(data))
                h.wfile.write(data[:half])
                h.wfile.flush()
                self.release.wait(30)
                h.wfile.write(data[half:])
            elif path == '/short':
                self._head(h, 2 * len(data))
                h.wfile.write(data)
            elif path == '/long':
                self._head(h, half)
                h.wfile.write(data)
            elif path == '/huge':
                self._head(h, 10 ** 15)
                h.wfile.write(data[:1000])
            elif path == '/html':
                body = b'<!doctype html><html><body>Please sign in</body></html>'
                self._head(h, len(body))
                h.wfile.write(body)
            elif path in ('/loop', '/loop2'):
                self._head(h, 0, 302, Location='/loop2' if path == '/loop' else '/loop')
            elif path == '/hop':
                self._head(h, 0, 301, Location='/net.pkl')
            elif path == '/to-file':
                self._head(h, 0, 302, Location='file:///etc/passwd')
            elif path == '/to-ftp':
                self._head(h, 0, 307, Location='ftp://127.0.0.1/net.pkl')
            else:
                h.send_error(404, 'Not Found')
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self):
        self.stop.set()
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(network_bytes, monkeypatch):
    monkeypatch.setattr(download, 'READ_TIMEOUT_S', READ_TIMEOUT)
    monkeypatch.setattr(download, 'CONNECT_TIMEOUT_S', READ_TIMEOUT)
    s = Server(network_bytes)
    yield s
    s.close()


@pytest.fixture
def cache(tmp_path):
    return tmp_path / 'cache'


def load(url, cache, **kwargs):
    return checkpoint.load_network(url, cache_dir=str(cache), **kwargs)

# ----------------------------------------------------------------------------
# Servers.


def test_a_slow_server_is_waited_for_with_progress(server, cache, network_bytes):
    calls = []
    start = time.monotonic()
    loaded = load(f'{server.url}/slow.pkl', cache, progress=lambda done, total: calls.append((done, total)))
    assert time.monotonic() - start > 0.5                         # Slower than the read time-out in total, never idle that long.
    assert open(loaded.info.path, 'rb').read() == network_bytes
    assert len(calls) >= 9 and calls[-1] == (len(network_bytes), len(network_bytes))


@pytest.mark.parametrize('path, phrase', [('/stall-head', r'the server did not answer for 0.5 s \(read time-out\)'),
    ('/stall-body', r'the server sent nothing more after \d+ bytes for 0.5 s \(read time-out\)')])
def test_a_stalled_server_times_out_with_the_url_and_the_seconds(server, cache, path, phrase):
    start = time.monotonic()
    with pytest.raises(CheckpointError, match=rf'^{server.url}{path}: {phrase}; nothing was kept, try again$'):
        load(f'{server.url}{path}', cache)
    assert time.monotonic() - start < 5
    assert listing(cache) == []


def test_a_stalled_download_is_cancelled_at_once(server, cache, monkeypatch):
    monkeypatch.setattr(download, 'READ_TIMEOUT_S', 30.0)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    with pytest.raises(download.DownloadCancelled, match=rf'^{server.url}/stall-body: the download was cancelled; nothing was kept$'):
        load(f'{server.url}/stall-body', cache, cancel=cancel.is_set)
    assert time.monotonic() - start < 1.5
    assert listing(cache) == []


def test_no_connection_times_out(cache, monkeypatch):
    """A port whose listen queue is full: the connection never completes."""
    monkeypatch.setattr(download, 'CONNECT_TIMEOUT_S', READ_TIMEOUT)
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen(0)
        url = f'http://127.0.0.1:{listener.getsockname()[1]}/net.pkl'
        fillers = []
        try:
            for _ in range(4):                                     # Fill the accept queue (never accepted).
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(listener.getsockname())
                fillers.append(s)
            time.sleep(0.1)
            start = time.monotonic()
            with pytest.raises(CheckpointError, match=rf'^{url}: (no connection within 0.5 s \(connect time-out\)|the server did not answer for 0.5 s)'):
                load(url, cache)
            assert time.monotonic() - start < 5
        finally:
            for s in fillers:
                s.close()
    assert listing(cache) == []


def test_redirects_loop_and_other_schemes_are_refused(server, cache, network_bytes):
    assert open(load(f'{server.url}/hop', cache).info.path, 'rb').read() == network_bytes
    with pytest.raises(CheckpointError, match=rf'^{server.url}/loop: more than 5 redirects \(a redirect loop\?\); the last one pointed to {server.url}/loop'):
        load(f'{server.url}/loop', cache)
    assert server.requests['/loop'] + server.requests['/loop2'] == 6
    for path, target in [('/to-file', 'file:///etc/passwd'), ('/to-ftp', 'ftp://127.0.0.1/net.pkl')]:
        with pytest.raises(CheckpointError, match=rf'^{server.url}{path}: the server redirected to {target}, which is not an http\(s\) URL; refused$'):
            load(f'{server.url}{path}', cache)
    assert listing(cache) == [os.path.basename(checkpoint.cached_path(f'{server.url}/hop', str(cache)))]


def test_a_content_length_that_lies(server, cache, network_bytes):
    n = len(network_bytes)
    with pytest.raises(CheckpointError, match=rf'^{server.url}/short: the download was interrupted after {n} of {2 * n} bytes; nothing was kept'):
        load(f'{server.url}/short', cache)
    with pytest.raises(CheckpointError, match=rf'^{server.url}/huge: the server announces {10 ** 15} bytes \(Content-Length\), more than the \d+ bytes '
            rf'free in the download cache folder {cache}; nothing was downloaded'):
        load(f'{server.url}/huge', cache)
    assert listing(cache) == []
    # Half of what is sent is announced: only that half is read, and it does not load; the message says where it is.
    cached = checkpoint.cached_path(f'{server.url}/long', str(cache))
    with pytest.raises(CheckpointError, match=rf'^{server.url}/long: not a readable network pickle.*\(the download is cached as {cached}; delete it'):
        load(f'{server.url}/long', cache)
    assert os.path.getsize(cached) == n // 2
    with pytest.raises(CheckpointError, match=rf'^{server.url}/html: not a readable network pickle'):
        load(f'{server.url}/html', cache)


@pytest.mark.parametrize('source', ['file:///etc/passwd', 'FTP://example.org/net.pkl', 'javascript://x', 'smb://host/share/net.pkl'])
def test_schemes_other_than_http_are_refused(source):
    scheme = source.split(':')[0]
    for load_fn in (checkpoint.load_network, sg3.load_generator, lambda s: default_load(s, 'cpu', None)):
        with pytest.raises(CheckpointError, match=rf'^{source}: {scheme}:// URLs are not supported; expected an http\(s\) URL or the path of a local file$'):
            load_fn(source)
    with pytest.raises(CheckpointError, match='not supported'):
        download.download(source)

# ----------------------------------------------------------------------------
# The cache folder.


def test_a_cache_folder_that_cannot_be_created(server, tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    with pytest.raises(CheckpointError, match=rf'^{server.url}/net.pkl: cannot create the download cache folder {blocker}/cache \(.*\); '
            r'nothing was kept: make it writable, or set \$SG3_CACHE_DIR to another folder$'):
        load(f'{server.url}/net.pkl', blocker / 'cache')


def test_a_read_only_or_full_cache_folder(server, tmp_path, network_bytes):
    """Needs root to mount small file systems; else skipped (the messages are the same code path as above)."""
    read_only, full = tmp_path / 'ro', tmp_path / 'full'
    if not try_mount_tmpfs(read_only, '64k', read_only=True):
        pytest.skip('cannot mount a tmpfs here (needs root)')
    try:
        with pytest.raises(CheckpointError, match=rf'^{server.url}/net.pkl: cannot write into the download cache folder {read_only} '
                r'\(Read-only file system\); nothing was kept: make it writable'):
            load(f'{server.url}/net.pkl', read_only)
        assert try_mount_tmpfs(full, '16k') and len(network_bytes) > 16 * 1024
        with pytest.raises(CheckpointError, match=rf'^{server.url}/stream.pkl: cannot write the download into the cache folder {full} '
                r'\(No space left on device\); nothing was kept: free some space'):
            load(f'{server.url}/stream.pkl', full)                 # No length: the disk fills up during the download.
        with pytest.raises(CheckpointError, match='more than the .* bytes free in the download cache folder'):
            load(f'{server.url}/net.pkl', full)                    # The length is known: refused before it starts.
        assert listing(full) == []
    finally:
        unmount(read_only)
        unmount(full)


def test_two_threads_download_one_url_once(server, cache, network_bytes):
    results, errors = [], []

    def run():
        try:
            results.append(load(f'{server.url}/held.pkl', cache).info.path)
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
        wait_until(lambda: server.requests.get('/held.pkl'), 10, 'the first request')
    time.sleep(0.3)                                                 # The second waits on the lock meanwhile.
    server.release.set()
    for t in threads:
        t.join(30)
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert server.requests['/held.pkl'] == 1
    assert listing(cache) == [os.path.basename(results[0])] and open(results[0], 'rb').read() == network_bytes


CHILD = r'''
import sys
from sg3 import checkpoint
print('loading', flush=True)
info = checkpoint.load_network(sys.argv[1], cache_dir=sys.argv[2]).info
print('loaded', info.path, info.num_params, flush=True)
'''


def test_two_processes_download_one_url_once(server, cache, network_bytes):
    url = f'{server.url}/held.pkl'
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    first = subprocess.Popen([sys.executable, '-c', CHILD, url, str(cache)], stdout=subprocess.PIPE, text=True, env=env)
    second = None
    try:
        wait_until(lambda: server.requests.get('/held.pkl'), 60, 'the first download')   # It holds the lock now.
        second = subprocess.Popen([sys.executable, '-c', CHILD, url, str(cache)], stdout=subprocess.PIPE, text=True, env=env)
        assert second.stdout.readline().strip() == 'loading'
        time.sleep(0.5)
        assert second.poll() is None                                # Waiting for the first one's download.
        server.release.set()
        outs = [p.communicate(timeout=60)[0] for p in (first, second)]
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
    assert first.returncode == 0 and second.returncode == 0
    lines = [out.strip().splitlines()[-1] for out in outs]
    assert lines[0] == lines[1] and lines[0].startswith(f'loaded {checkpoint.cached_path(url, str(cache))} ')
    assert server.requests['/held.pkl'] == 1
    assert listing(cache) == [os.path.basename(checkpoint.cached_path(url, str(cache)))]

# ----------------------------------------------------------------------------
# In the app: a stalled download shows its progress and is cancelled from the view core.


def test_the_app_cancels_a_stalled_download_and_goes_back(server, tmp_path, monkeypatch):
    monkeypatch.setattr(download, 'READ_TIMEOUT_S', 30.0)
    monkeypatch.setenv('SG3_CACHE_DIR', str(tmp_path / 'cache'))
    core = ViewCore(RenderWorker(Renderer()), config_dir=tmp_path / 'config', sources=(f'{server.url}/net.pkl',), device='cpu',
        capture_dir=str(tmp_path / 'captures'))
    try:
        first = settle(core, timeout=60)
        assert first.error is None and first.network.source == f'{server.url}/net.pkl'
        stalled = f'{server.url}/stall-body'
        core.act('network', 'load', stalled)
        wait_until(lambda: core.loading and core.loading.startswith(f'Downloading {stalled}: '), 10, 'download progress',
            step=lambda: core.update(0.0))
        start = time.monotonic()
        core.act('app', 'cancel_load')
        result = settle(core, timeout=10)
        assert time.monotonic() - start < 2
        assert result.error is None and result.network.source == f'{server.url}/net.pkl'
        assert core.message.text == f'Cancelled loading {stalled}; showing {server.url}/net.pkl again.'
        assert listing(tmp_path / 'cache') == [os.path.basename(checkpoint.cached_path(f'{server.url}/net.pkl'))]
    finally:
        core.close()
