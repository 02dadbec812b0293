"""What the callback tests share: a loopback server standing in for the application's
callback URL, recording every POST, and its fixture."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class CallbackServer:
    """Records each POST; answers with ``status`` and ``body`` (or waits for ``release``)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status, self.body = 200, b'{"Status":"OK"}'
        self.headers: dict[str, str] = {}        # more headers of the answer
        self.release: threading.Event | None = None
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": data})
                outer.arrived.set()
                if outer.release is not None:
                    outer.release.wait(10)
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(outer.body)))
                for name, value in outer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args):
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass    # a client that timed out and left (the timeout test) is expected

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # a short poll: shutdown() waits for the loop to notice (0.5 s at the default)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.release is not None:
            self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def callback_server():
    srv = CallbackServer()
    yield srv
    srv.close()
