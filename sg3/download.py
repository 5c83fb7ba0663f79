"""Downloads of network files from http(s) URLs into a cache folder, safe against hostile or broken servers.

- Only http and https: other schemes (file://, ftp://, ...) are refused, also as the target of a redirect.
- Time-outs: CONNECT_TIMEOUT_S to connect, READ_TIMEOUT_S for any wait on the server (its answer, every chunk);
  messages name the URL and the seconds. A slow server that keeps sending is waited for, with progress.
- At most MAX_REDIRECTS redirects (a redirect loop ends there).
- A Content-Length larger than the free space of the cache folder is refused before anything is written; a
  server that sends fewer bytes than it promised is an interrupted download.
- Cancel: `cancel()` is checked between chunks, and a watchdog shuts the connection down while a read waits,
  so a stalled download stops within about CANCEL_POLL_S.
- The file goes to a temporary `.part` name and is renamed when complete: the cache never holds half a file.
  A problem with the cache folder (missing, unwritable, full) is named as such, with $SG3_CACHE_DIR as the way out.
- Two processes asking for the same URL at once download it once: a lock file beside the cached name (POSIX
  `flock`) makes the second wait for the first, then use its file. Elsewhere both download, and the atomic
  rename still leaves one complete file.
"""

import errno
import hashlib
import http.client
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from sg3.errors import CheckpointError

try:
    import fcntl
except ImportError: # Windows: no cross-process lock (see the module docstring).
    fcntl = None

#----------------------------------------------------------------------------

DEFAULT_CACHE_DIR = os.path.join('~', '.cache', 'sg3-viz', 'downloads')
CACHE_DIR_ENV = 'SG3_CACHE_DIR'
CONNECT_TIMEOUT_S = 15.0                # Seconds to establish the connection.
READ_TIMEOUT_S = 30.0                   # Seconds any single wait for the server may take (its answer, each chunk).
MAX_REDIRECTS = 5
CHUNK = 1 << 20                         # Bytes per read.
CANCEL_POLL_S = 0.1                     # How often a wait (a read, the lock) looks at the cancel flag.
SCHEMES = ('http', 'https')

ProgressCallback = Callable[[int, 'int|None'], None] # (bytes done, bytes total or None if unknown).
CancelCallback = Callable[[], bool]                  # True: stop as soon as possible.

class DownloadCancelled(CheckpointError):
    """The caller cancelled the download; nothing was kept."""

#----------------------------------------------------------------------------

def is_url(source: str) -> bool:
    return re.match(r'^https?://', source, flags=re.IGNORECASE) is not None

def unsupported_scheme(source: str) -> str|None:
    """The scheme of a URL-like source (`name://...`) that is neither http nor https, else None."""
    match = re.match(r'^([A-Za-z][A-Za-z0-9+.-]+)://', source)
    return match.group(1) if match is not None and match.group(1).lower() not in SCHEMES else None

def check_scheme(source: str) -> None:
    scheme = unsupported_scheme(source)
    if scheme is not None:
        raise CheckpointError(f'{source}: {scheme}:// URLs are not supported; expected an http(s) URL or the path of a local file')

def cache_folder(cache_dir: str|None = None) -> str:
    """The download folder: `cache_dir`, else $SG3_CACHE_DIR, else ~/.cache/sg3-viz/downloads."""
    return os.path.expanduser(cache_dir or os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR)

def cached_path(url: str, cache_dir: str|None = None) -> str:
    """Where `url` is (or will be) cached: a hash of the URL plus the readable end of its path."""
    digest = hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]
    name = os.path.basename(urllib.parse.urlparse(url).path)
    name = re.sub(r'[^A-Za-z0-9._-]', '_', name)[-80:].lstrip('.') or 'network'
    return os.path.join(cache_folder(cache_dir), f'{digest}_{name}')

#----------------------------------------------------------------------------

def download(
    url:        str,                        # An http(s) URL.
    cache_dir:  str|None = None,            # Download folder; None = $SG3_CACHE_DIR or ~/.cache/sg3-viz/downloads.
    progress:   ProgressCallback|None = None,
    cancel:     CancelCallback|None = None,
) -> str:
    """Return the cached file for `url`, downloading it first if needed. Raises CheckpointError (DownloadCancelled
    when `cancel()` turned true)."""
    if not is_url(url):
        check_scheme(url)
        raise CheckpointError(f'{url}: expected an http(s) URL')
    path = cached_path(url, cache_dir)
    if os.path.isfile(path):
        return path
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise _cache_error(url, folder, e, 'cannot create the download cache folder') from None
    with _Lock(path + '.lock', url, cancel):
        if os.path.isfile(path):           # Another process downloaded it while we waited.
            return path
        try:
            handle, temp_path = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + '.', suffix='.part')
        except OSError as e:
            raise _cache_error(url, folder, e, 'cannot write into the download cache folder') from None
        try:
            with os.fdopen(handle, 'wb') as f:
                _fetch(url, f, folder, progress, cancel)
            os.replace(temp_path, path)
        except OSError as e:               # Closing (flushing) or renaming: the folder's fault.
            raise _cache_error(url, folder, e, 'cannot write the download into the cache folder') from None
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)
    return path

def _cache_error(url: str, folder: str, e: OSError, what: str) -> CheckpointError:
    advice = 'free some space' if e.errno in (errno.ENOSPC, errno.EDQUOT) else 'make it writable'
    return CheckpointError(f'{url}: {what} {folder} ({e.strerror or e}); nothing was kept: {advice}, '
        f'or set ${CACHE_DIR_ENV} to another folder')

#----------------------------------------------------------------------------
# The transfer.

class _WriteError(Exception):
    """Writing into the cache failed (not the network): carries the OSError."""
    def __init__(self, error: OSError):
        self.error = error

def _fetch(url: str, f, folder: str, progress: ProgressCallback|None, cancel: CancelCallback|None) -> None:
    watchdog = _Watchdog(cancel)
    done, total = 0, None
    try:
        with _opener(watchdog).open(url, timeout=CONNECT_TIMEOUT_S) as response:
            total = _content_length(response)
            if total is not None:
                _check_space(url, folder, total)
            if progress is not None:
                progress(done, total)
            while True:
                watchdog.check(url)
                chunk = response.read1(CHUNK)      # What has arrived (up to CHUNK): progress and cancel as data comes in.
                if not chunk:
                    break
                try:
                    f.write(chunk)
                except OSError as e:
                    raise _WriteError(e) from None
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        watchdog.check(url)
    except _WriteError as e:
        raise _cache_error(url, folder, e.error, 'cannot write the download into the cache folder') from None
    except (OSError, http.client.HTTPException) as e:
        watchdog.check(url)               # A read the watchdog cut short is a cancel, not a network problem.
        raise _transfer_error(url, e, done, total) from None
    finally:
        watchdog.stop()
    if total is not None and done != total:
        raise CheckpointError(f'{url}: the download was interrupted after {done} of {total} bytes; nothing was kept, try again')
    if done == 0:
        raise CheckpointError(f'{url}: the server sent an empty file; expected a network file')

def _transfer_error(url: str, e: BaseException, done: int, total: int|None) -> CheckpointError:
    if isinstance(e, urllib.error.HTTPError):
        return CheckpointError(f'{url}: the server answered HTTP {e.code} {e.reason}; expected the network file')
    if isinstance(e, urllib.error.URLError):
        if isinstance(e.reason, (TimeoutError, socket.timeout)):
            return CheckpointError(f'{url}: no connection within {CONNECT_TIMEOUT_S:g} s (connect time-out); check the network '
                'connection, or download the file yourself and open its path')
        return CheckpointError(f'{url}: could not connect ({e.reason}); check the network connection, '
            'or download the file yourself and open its path')
    if isinstance(e, (TimeoutError, socket.timeout)):
        what = 'did not answer' if total is None and done == 0 else f'sent nothing more after {done} bytes'
        return CheckpointError(f'{url}: the server {what} for {READ_TIMEOUT_S:g} s (read time-out); nothing was kept, try again')
    if isinstance(e, http.client.IncompleteRead) or (total is not None and done < total):
        return CheckpointError(f'{url}: the download was interrupted after {done} of {total if total is not None else "?"} bytes; '
            'nothing was kept, try again')
    return CheckpointError(f'{url}: the download was interrupted ({type(e).__name__}: {e}); nothing was kept, try again')

def _content_length(response) -> int|None:
    length = response.headers.get('Content-Length')
    return int(length) if length is not None and length.strip().isdigit() else None

def _check_space(url: str, folder: str, total: int) -> None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if total > free:
        raise CheckpointError(f'{url}: the server announces {total} bytes (Content-Length), more than the {free} bytes free '
            f'in the download cache folder {folder}; nothing was downloaded: free some space, or set ${CACHE_DIR_ENV} to another folder')

#----------------------------------------------------------------------------
# Connections: time-outs, redirects, schemes, and the sockets the watchdog may shut down.

def _opener(watchdog: '_Watchdog') -> urllib.request.OpenerDirector:
    def connection(base):
        class Connection(base):
            def connect(self):
                super().connect()           # Within CONNECT_TIMEOUT_S (the request's timeout).
                self.sock.settimeout(READ_TIMEOUT_S)
                watchdog.watch(self.sock)
        return Connection

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(connection(http.client.HTTPConnection), req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(connection(http.client.HTTPSConnection), req, context=self._context)

    return urllib.request.build_opener(HTTPHandler, HTTPSHandler, _Redirects)

class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows at most MAX_REDIRECTS redirects, to http(s) URLs only."""
    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get('location') or headers.get('uri')
        if target is not None:
            target = urllib.parse.urljoin(req.full_url, target)
            hops = getattr(req, 'sg3_redirects', 0) + 1
            origin = getattr(req, 'sg3_origin', req.full_url)
            if urllib.parse.urlparse(target).scheme.lower() not in SCHEMES or hops > MAX_REDIRECTS:
                fp.close()
            if urllib.parse.urlparse(target).scheme.lower() not in SCHEMES:
                raise CheckpointError(f'{origin}: the server redirected to {target}, which is not an http(s) URL; refused')
            if hops > MAX_REDIRECTS:
                raise CheckpointError(f'{origin}: more than {MAX_REDIRECTS} redirects (a redirect loop?); the last one pointed to {target}')
            req.sg3_next = (hops, origin)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.sg3_redirects, new.sg3_origin = getattr(req, 'sg3_next', (1, req.full_url))
        return new

class _Watchdog:
    """Shuts down the connection's sockets when `cancel()` turns true, so that a read waiting on a stalled server
    returns at once; `check` then raises DownloadCancelled."""
    def __init__(self, cancel: CancelCallback|None):
        self._cancel = cancel
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = None
        if cancel is not None:
            self._thread = threading.Thread(target=self._run, name='sg3-download-watchdog', daemon=True)
            self._thread.start()

    def watch(self, sock: socket.socket) -> None:
        self._sockets.append(sock)

    def cancelled(self) -> bool:
        return self._cancel is not None and bool(self._cancel())

    def check(self, url: str) -> None:
        if self.cancelled():
            raise DownloadCancelled(f'{url}: the download was cancelled; nothing was kept')

    def _run(self) -> None:
        while not self._stop.wait(CANCEL_POLL_S):
            if self.cancelled():
                for sock in self._sockets:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

#----------------------------------------------------------------------------
# One download per URL at a time, across processes.

class _Lock:
    """An exclusive flock on `path` (created if missing, removed by its holder when done). Waiting for it
    honours cancel."""
    def __init__(self, path: str, url: str, cancel: CancelCallback|None):
        self.path, self.url, self.cancel, self.fd = path, url, cancel, None

    def __enter__(self) -> '_Lock':
        if fcntl is None:
            return self
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as e:
                raise _cache_error(self.url, os.path.dirname(self.path), e, 'cannot write into the download cache folder') from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:         # Another process downloads this URL: wait for it.
                os.close(fd)
                if self.cancel is not None and self.cancel():
                    raise DownloadCancelled(f'{self.url}: the download was cancelled; nothing was kept') from None
                time.sleep(CANCEL_POLL_S)
                continue
            try:
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:       # Its holder removed it after we opened it: take the new one.
                current = False
            if current:
                self.fd = fd
                return self
            os.close(fd)

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)            # While still holding it: a waiter notices the inode changed.
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None

#----------------------------------------------------------------------------
