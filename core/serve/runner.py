"""The embedded server (waitress); the ``oss-img serve`` command is :mod:`core.cli.serve`.

waitress reads every request, headers and body, in its single event loop and hands a
WSGI thread only a complete request: a client that sends one byte every few seconds
costs a socket, never a thread (http.server gave each connection a thread and blocked it
on every read). It is pure Python, well kept and production grade. What is adapted here:
its own error answers (malformed requests, oversized headers or bodies) in OSS's XML; a
stricter parser (no HTTP/0.9, no Content-Length together with chunked encoding); and
connections beyond ``max_connections`` answered 503 SlowDown instead of left waiting in
the listen queue.
"""
from __future__ import annotations

import re
import ssl
import threading
import time
from http import HTTPStatus
from typing import Iterable

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from ..errors import OssError
from ..oss.credentials import Credentials
from .config import DEFAULT_HOST, DEFAULT_PORT, ServiceConfig, log, new_request_id
from .service import OssService
from .tls import TlsFront, server_context
from .wsgi import OssApp

CHANNEL_TIMEOUT = 120          # idle seconds before waitress drops a connection
_WAITRESS_CODES = {400: "InvalidRequest", 413: "EntityTooLarge", 414: "InvalidURI",
                   431: "RequestHeaderSectionTooLarge", 501: "NotImplemented",
                   500: "InternalError"}


def _oss_error_body(code: int, message: str) -> tuple[int, bytes, str]:
    status = 400 if code == 413 else code     # OSS answers EntityTooLarge with 400
    err = OssError(_WAITRESS_CODES.get(code, "InvalidRequest"), message, status=status)
    rid = new_request_id()
    return status, err.to_xml(rid, "").encode("utf-8"), rid


class _OssErrorTask(ErrorTask):
    """waitress's answer to a request it could not parse, in OSS's XML."""

    def execute(self) -> None:
        e = self.request.error
        status, body, rid = _oss_error_body(e.code, f"{e.reason}: {e.body}".strip(": "))
        self.status = f"{status} {HTTPStatus(status).phrase}"
        self.response_headers.extend([("Content-Type", "application/xml"),
                                      ("x-oss-request-id", rid)])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


_CONTENT_LENGTH = re.compile(rb"(?im)^content-length[ \t]*:[ \t]*([^\r\n]*)")


class _Parser(HTTPRequestParser):
    def parse_header(self, header_plus: bytes) -> None:
        for m in _CONTENT_LENGTH.finditer(header_plus):
            if len(m[1].strip()) > 18:   # waitress's int() would raise past 4,300 digits
                raise ParsingError("Content-Length is invalid")
        super().parse_header(header_plus)
        if not self.version:
            raise ParsingError("HTTP/0.9 requests are not supported")
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            raise ParsingError("Content-Length and Transfer-Encoding: chunked together")
        if self.command in ("GET", "HEAD") and not self.chunked:
            # A GET/HEAD body means nothing, and SDKs sign a Content-Length they never
            # send a body for (oss2's test_sign_v4_additional_headers): OSS answers at
            # once, so here the request ends with its headers (the header is kept for
            # the signature).
            self.content_length = 0
            self.body_rcv = None


class _Channel(HTTPChannel):
    parser_class = _Parser
    error_task_class = _OssErrorTask

    def handle_close(self) -> None:
        # Read what the client has already sent before closing: closing a socket with
        # unread input sends a reset, and the client may lose the answer (an oversized
        # header or body refused) before it reads it.
        sock = self.socket
        if sock is not None:
            try:
                sock.setblocking(False)
                for _ in range(64):
                    if not sock.recv(65536):
                        break
            except OSError:
                pass
        super().handle_close()


class _Server(TcpWSGIServer):
    channel_class = _Channel
    tls: TlsFront | None = None     # serving HTTPS: accepted sockets go there first

    def readable(self) -> bool:
        now = time.time()
        if now >= self.next_channel_cleanup:      # as waitress: drop idle channels
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        return self.accepting       # over the limit too: accept, answer 503, close

    def handle_accept(self) -> None:
        if self.tls is None and len(self._map) < self.adj.connection_limit:
            return super().handle_accept()
        try:
            pair = self.accept()
        except OSError:
            return
        if pair is None:
            return
        if self.tls is not None:
            self.set_socket_options(pair[0])
            self.tls.accept(pair[0], self.fix_addr(pair[1]))   # handshake, then adopt()
        else:
            _SlowDown(pair[0], self._map)

    def adopt(self, sock, addr) -> None:
        """Serve the plain end of a TLS connection (any thread): a channel as for an
        accepted socket, or 503 SlowDown over the limit; in waitress's loop thread."""
        def add() -> None:
            if len(self._map) < self.adj.connection_limit:
                self.channel_class(self, sock, addr, self.adj, map=self._map)
            else:
                _SlowDown(sock, self._map)
        self.trigger.pull_trigger(add)


class _SlowDown(wasyncore.dispatcher):
    """A connection over the limit: answered 503 SlowDown, then closed gracefully (its
    request is read and dropped, so the close is no reset), in at most a few seconds."""

    LIFETIME = 5.0

    def __init__(self, sock, map) -> None:
        super().__init__(sock, map=map)
        body = OssError("SlowDown", "Too many connections; try again later.", status=503
                        ).to_xml(new_request_id(), "").encode("utf-8")
        self._out = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml"
                     b"\r\nConnection: close\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        self._born = time.monotonic()

    def readable(self) -> bool:
        if time.monotonic() - self._born > self.LIFETIME:
            self.close()
            return False
        return True

    def writable(self) -> bool:
        return bool(self._out)

    def handle_write(self) -> None:
        try:
            sent = self.send(self._out)
        except OSError:
            self.close()
            return
        self._out = self._out[sent:]
        if not self._out:
            try:
                self.socket.shutdown(1)   # SHUT_WR: the client sees the end of the answer
            except OSError:
                self.close()

    def handle_read(self) -> None:
        try:
            data = self.recv(65536)
        except OSError:
            data = b""
        if not data and not self._out:
            self.close()

    def handle_close(self) -> None:
        self.close()


class OssServer:
    """waitress serving one :class:`OssService` (its WSGI app is ``self.app``).

    ``start()`` serves in a background thread; ``stop()`` closes every connection, the
    socket and the image workers. ``serve_forever()`` serves in the calling thread.
    """

    def __init__(self, service: OssService, host: str, port: int,
                 tls: ssl.SSLContext | None = None) -> None:
        self.service = service
        self.app = OssApp(service)
        cfg = service.config
        self._server = _Server(
            self.app, host=host, port=port, threads=cfg.threads,
            # waitress counts its own listening socket and wake-up pipe as connections
            connection_limit=cfg.max_connections + 2, channel_timeout=CHANNEL_TIMEOUT,
            asyncore_use_poll=True, backlog=1024, ident="oss-img",
            max_request_body_size=cfg.max_body_bytes + 64 * 1024,
            expose_tracebacks=False, clear_untrusted_proxy_headers=False,
            url_scheme="https" if tls is not None else "http")
        if tls is not None:
            # twice the limit: the clients over it still get their 503 over TLS
            self._server.tls = TlsFront(tls, self._server.adopt, 2 * cfg.max_connections)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def server_address(self) -> tuple[str, int]:
        """(host, port) bound, as socketserver names it."""
        return str(self._server.effective_host), self.port

    @property
    def url(self) -> str:
        host = str(self._server.effective_host)
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self._server.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self._server.run, name="oss-img-serve",
                                        daemon=True)
        self._thread.start()
        return self._thread

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._close()

    def stop(self) -> None:
        """Stop accepting, close open (keep-alive) connections, end the threads.

        In order, so no request thread ever writes to a closed socket or wake-up pipe
        (waitress would log that as an error): the loop stops accepting and marks every
        connection closed; the request threads finish (a write now ends quietly as a
        client disconnect); then the loop closes its last sockets and returns."""
        if self._thread is not None and self._thread.is_alive():
            server = self._server
            closed = threading.Event()

            def close_connections() -> None:
                server.accepting = False
                for channel in list(server._map.values()):
                    if channel is not server and channel is not server.trigger:
                        channel.handle_close()
                closed.set()

            server.trigger.pull_trigger(close_connections)
            closed.wait(10)
            if server.tls is not None:
                server.tls.close()
            server.task_dispatcher.shutdown(timeout=5)
            try:
                server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            except OSError:
                # the wake-up pipe is closed already (seen under heavy load, cause not
                # found): the loop has no way to be woken, so close from here once it
                # has stopped, as _close() does
                pass
            self._thread.join(10)
        self._close()

    def _close(self) -> None:
        if self._server.tls is not None:
            self._server.tls.close()
        # Close the loop's sockets and wake-up pipe from here only when the loop thread
        # is gone: if it outlived stop()'s join (a heavily loaded machine), it still runs
        # the close_all stop() queued, and closing the same descriptors from two threads
        # could close numbers a new server has been given since.
        if self._thread is None or not self._thread.is_alive():
            try:
                wasyncore.close_all(self._server._map)
            except OSError:
                pass
        else:
            log.warning("the server loop did not stop within 10 s; it closes its own sockets")
        self._server.task_dispatcher.shutdown(timeout=5)
        self.service.close()

    server_close = _close

    def __enter__(self) -> "OssServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(root, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          acl: str = "public-read",
          credentials: Credentials | Iterable[Credentials] | None = None,
          **options) -> OssServer:
    """A bound (not yet serving) server for ``root``; call ``start()`` or
    ``serve_forever()``. ``options`` are further :class:`ServiceConfig` fields
    (``workers`` defaults to 0 here: image work in this process; the CLI uses worker
    processes); ``clock``/``monotonic`` go to :class:`OssService`. Port 0 picks a free
    port."""
    from pathlib import Path

    service_kwargs = {k: options.pop(k) for k in ("clock", "monotonic") if k in options}
    certfile, keyfile = options.pop("certfile", None), options.pop("keyfile", None)
    if keyfile and not certfile:
        raise OssError("MissingArgument", "A key file needs its certificate (--certfile).",
                       key="certfile")
    tls = server_context(certfile, keyfile) if certfile else None
    if isinstance(credentials, Credentials):
        credentials = (credentials,)
    config = ServiceConfig(Path(root), acl=acl, credentials=tuple(credentials or ()),
                           **options)
    return OssServer(OssService(config, **service_kwargs), host, port, tls)


__all__ = ["OssServer", "serve"]
