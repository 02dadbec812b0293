"""A connection over ``max_connections`` is answered 503 SlowDown and closed gracefully:
what the client sends after the answer is read and dropped until the client ends its
side, so the close is a FIN, never a reset that could cost the client the answer it has
not read yet (a socket closed with unread input sends RST). Only then, or after a few
seconds, does the server close.
"""
from __future__ import annotations

import array
import fcntl
import http.client
import socket
import termios
import threading

import pytest

from core.serve import runner
from tests.helpers import one_bucket_server

B = "limbkt"


def wait_until(condition, timeout: float = 10.0) -> None:
    tick = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        tick.wait(0.005)
    raise AssertionError("condition not met in time")


def unread_bytes(sock) -> int:
    buf = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.FIONREAD, buf)
    return buf[0]


def loop_round_trip(server) -> None:
    """Return once waitress's loop has run a task queued now (after what it is doing)."""
    done = threading.Event()
    server._server.trigger.pull_trigger(done.set)
    assert done.wait(10)


@pytest.fixture
def full_server(tmp_path_factory, monkeypatch):
    monkeypatch.setattr(runner._SlowDown, "LIFETIME", 600.0)    # no expiry in this test
    with one_bucket_server(tmp_path_factory, B, max_connections=1) as (server, root):
        (root / B / "a.txt").write_bytes(b"alpha")
        held = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        held.request("GET", f"/{B}/a.txt")               # holds the only slot
        assert held.getresponse().read() == b"alpha"
        try:
            yield server
        finally:
            held.close()


def test_over_the_limit_late_input_is_drained_until_the_client_ends(full_server):
    server = full_server
    client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        answer = b""
        while chunk := client.recv(65536):                # the server ends its side
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert b"\r\nConnection: close" in head and b"<Code>SlowDown</Code>" in body
        assert f"Content-Length: {len(body)}".encode() in head
        slow = [d for d in list(server._server._map.values())
                if isinstance(d, runner._SlowDown)]
        assert len(slow) == 1
        # the request arrives after the answer (a client that writes, then reads)
        client.sendall(b"PUT /limbkt/b.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5000"
                       b"\r\n\r\n" + b"x" * 5000)

        def read_by_server() -> bool:
            sock = slow[0].socket
            try:
                return sock is None or unread_bytes(sock) == 0
            except (OSError, ValueError):
                return True
        wait_until(read_by_server)
        loop_round_trip(server)
        # read and dropped, and the connection still open: the client has not ended
        assert slow[0] in server._server._map.values()
        client.sendall(b"more input, still dropped")
        client.shutdown(socket.SHUT_WR)                   # the client ends its side
        wait_until(lambda: slow[0] not in server._server._map.values())
        assert client.recv(100) == b""                    # a FIN, not a reset
    finally:
        client.close()
