"""The TLS front (core/serve/tls.py) on its own: how many connections it holds.

``TlsFront(max_connections=N)`` holds at most N connections, handshakes included; the
next one is closed at once (the client's handshake fails), and a connection that ends
frees its place, so a client can connect again. When every connection has ended the
front keeps nothing of them. A certificate that cannot be loaded is an InvalidArgument
naming the ``certfile`` option. Everything waits on conditions, never on a clock.
"""
from __future__ import annotations

import socket
import ssl
import threading

import pytest

from core.errors import OssError
from core.serve.tls import TlsFront, self_signed_cert, server_context
from tests.test_server_workers import wait_until

MAX = 2


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls-front"))


class Front:
    """A TlsFront fed by a listening socket of the test; ``adopted`` holds the plain ends
    it hands over (what waitress would adopt)."""

    def __init__(self, cert) -> None:
        self.cert_path, key_path = cert
        self.adopted: list[socket.socket] = []
        self._lock = threading.Lock()
        self.front = TlsFront(server_context(self.cert_path, key_path), self._adopt, MAX)
        self.listener = socket.create_server(("127.0.0.1", 0))

    def _adopt(self, sock: socket.socket, addr) -> None:
        with self._lock:
            self.adopted.append(sock)

    def connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(self.listener.getsockname(), timeout=10)
        conn, addr = self.listener.accept()
        self.front.accept(conn, addr)
        ctx = ssl.create_default_context(cafile=str(self.cert_path))
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def end(self, client: ssl.SSLSocket, plain: socket.socket) -> None:
        client.close()
        plain.close()

    def close(self) -> None:
        self.front.close()
        self.listener.close()
        for s in self.adopted:
            s.close()


@pytest.fixture
def tls(cert):
    front = Front(cert)
    yield front
    front.close()


def round_trip(client: ssl.SSLSocket, plain: socket.socket) -> None:
    """Bytes go both ways through the front (the connection is really held)."""
    client.sendall(b"ping")
    assert plain.recv(4) == b"ping"
    plain.sendall(b"pong")
    assert client.recv(4) == b"pong"


def test_the_limit_holds_and_an_ended_connection_frees_its_place(tls):
    first = tls.connect()
    second = tls.connect()                    # MAX = 2: both are held
    wait_until(lambda: len(tls.adopted) == 2)
    round_trip(first, tls.adopted[0])
    round_trip(second, tls.adopted[1])
    with pytest.raises((ssl.SSLError, OSError)):
        tls.connect()                         # the third is closed at once
    assert len(tls.adopted) == 2
    tls.end(first, tls.adopted[0])            # one ends ...
    wait_until(lambda: tls.front._open == 1, 10)
    third = tls.connect()                     # ... and its place is free again
    wait_until(lambda: len(tls.adopted) == 3)
    round_trip(third, tls.adopted[2])
    with pytest.raises((ssl.SSLError, OSError)):
        tls.connect()                         # still no more than MAX at once
    tls.end(second, tls.adopted[1])
    tls.end(third, tls.adopted[2])
    # every connection ended: the front holds no count and no task of them
    wait_until(lambda: tls.front._open == 0 and not tls.front._tasks)
    again = [tls.connect(), tls.connect()]
    wait_until(lambda: len(tls.adopted) == 5)
    round_trip(again[1], tls.adopted[4])
    for s in again:
        s.close()


def test_an_unloadable_certificate_names_the_option(tmp_path):
    (tmp_path / "cert.pem").write_text("not a certificate")
    for certfile in (tmp_path / "cert.pem", tmp_path / "missing.pem"):
        with pytest.raises(OssError) as e:
            server_context(certfile)
        assert (e.value.code, e.value.status, e.value.key) == ("InvalidArgument", 400,
                                                               "certfile")
        assert str(certfile) in e.value.message
