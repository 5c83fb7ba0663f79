"""A throwaway HTTP server on 127.0.0.1 for tests of URL loading (nothing else may be downloaded in the tests)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from typing import Callable, Iterator


@contextlib.contextmanager
def serve(respond: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[tuple[str, list[str]]]:
    """Serve GET requests with `respond(handler)` on a free port; yields (base URL, the paths requested so far)."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            respond(self)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{httpd.server_address[1]}', requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def send_file(handler: http.server.BaseHTTPRequestHandler, data: bytes, length: bool = True, body: bytes | None = None) -> None:
    """Answer 200 with `data` as an octet stream (`length`: send Content-Length; `body`: send these bytes instead)."""
    handler.send_response(200)
    handler.send_header('Content-Type', 'application/octet-stream')
    if length:
        handler.send_header('Content-Length', str(len(data)))
    handler.end_headers()
    handler.close_connection = True
    handler.wfile.write(data if body is None else body)
