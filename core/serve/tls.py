"""HTTPS for ``oss-img serve``: TLS in front of the same waitress server.

SDKs default to ``https`` (alibabacloud-oss-v2 turns an endpoint without a scheme into
``https://``), so the service speaks TLS when given ``--certfile``/``--keyfile``.
waitress has no TLS, and swapping it for a thread-per-connection server with TLS
(cheroot, gunicorn's workers) would bring back the slow-client problem waitress solved.
So TLS is terminated by the standard library (:mod:`ssl` in an :mod:`asyncio` loop,
one thread for every connection: a slow handshake or a byte every few seconds costs a
coroutine, never a thread) and the decrypted bytes reach waitress through a socket
pair, as if the client had connected in plain text: every request, plain or TLS, is
parsed, limited and answered by one HTTP stack (:mod:`core.serve.runner`).

waitress keeps the listening socket: it accepts, hands the connection here for the
handshake, and adopts the inner end of the pair as an ordinary channel (the
connection limit and its 503 SlowDown apply there, now spoken over TLS).
"""
from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import os
import socket
import ssl
import threading
from pathlib import Path
from typing import Callable, Iterable

from ..errors import OssError

log = logging.getLogger("core.serve")
HANDSHAKE_TIMEOUT = 30.0     # seconds for a client to finish the TLS handshake
_CHUNK = 1 << 16


def server_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2+, the standard library's defaults) for the
    PEM certificate chain ``certfile`` and its key (``keyfile``; None: in ``certfile``).
    A missing or unreadable file is an OSS-style InvalidArgument."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    except (OSError, ssl.SSLError) as e:
        raise OssError("InvalidArgument", f"Cannot load the TLS certificate {certfile} "
                       f"(key {keyfile or certfile}): {e}", key="certfile") from None
    return ctx


class TlsFront:
    """TLS connections handed over by waitress's accept, piped into waitress channels.

    ``adopt(sock, addr)`` is called (from this front's thread) with the plain end of a
    socket pair; it must hand it to waitress's loop (see ``runner._Server.adopt``).
    ``max_connections`` bounds the connections held here, handshakes included; pass
    more than waitress's own limit, so a client over that one reads its 503 SlowDown
    over TLS (beyond this bound a connection is closed at once).
    """

    def __init__(self, context: ssl.SSLContext,
                 adopt: Callable[[socket.socket, tuple], None], max_connections: int,
                 handshake_timeout: float = HANDSHAKE_TIMEOUT) -> None:
        self._context = context
        self._adopt = adopt
        self._max = max_connections
        self._handshake_timeout = handshake_timeout
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task] = set()
        self._open = 0                  # connections handed over and not yet closed
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="oss-img-tls")
        self._thread.start()

    def accept(self, sock: socket.socket, addr: tuple) -> None:
        """Take a freshly accepted TCP connection (any thread)."""
        with self._lock:
            if self._open >= self._max:   # handshakes in flight are bounded too
                log.warning("TLS: %d connections open; closing a new one", self._open)
                sock.close()
                return
            self._open += 1
        try:
            self._loop.call_soon_threadsafe(self._spawn, sock, addr)
        except RuntimeError:              # the loop is closed: the server is stopping
            self._done()
            sock.close()

    def _done(self) -> None:
        with self._lock:
            self._open -= 1

    def _spawn(self, sock: socket.socket, addr: tuple) -> None:
        task = self._loop.create_task(self._serve(sock, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, sock: socket.socket, addr: tuple) -> None:
        loop = self._loop
        writer = inner_writer = None
        try:
            reader = asyncio.StreamReader(limit=_CHUNK)
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, sock, ssl=self._context,
                ssl_handshake_timeout=self._handshake_timeout)
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            inner, outer = socket.socketpair()
            try:
                self._adopt(outer, addr)
            except BaseException:
                outer.close()
                inner.close()
                raise
            inner_reader, inner_writer = await asyncio.open_connection(sock=inner)
            await asyncio.gather(_pump(reader, inner_writer, half_close=True),
                                 _pump(inner_reader, writer, half_close=False))
        except (OSError, ssl.SSLError, asyncio.TimeoutError, EOFError):
            pass      # a failed handshake or a vanished client: nothing to answer
        except asyncio.CancelledError:
            pass
        finally:
            for w in (writer, inner_writer):
                if w is not None:
                    w.close()
            if writer is None:
                sock.close()
            self._done()

    def close(self) -> None:
        """Drop every TLS connection and stop the loop's thread."""
        if self._loop.is_closed():
            return

        def cancel_all() -> None:
            for task in list(self._tasks):
                task.cancel()

        async def drain() -> None:
            cancel_all()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=5)
            self._loop.stop()

        try:
            asyncio.run_coroutine_threadsafe(drain(), self._loop)
        except RuntimeError:
            pass
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()


async def _pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, *,
                half_close: bool) -> None:
    """Copy ``src`` to ``dst`` until end of stream; then half-close ``dst`` (the plain
    side: waitress sees the client's end) or close it (the TLS side: close_notify after
    the last byte of waitress's answer)."""
    try:
        while data := await src.read(_CHUNK):
            if dst.is_closing():          # the other side is gone: drop the rest
                break
            dst.write(data)
            await dst.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            if half_close and dst.can_write_eof():
                dst.write_eof()
            else:
                dst.close()
        except OSError:
            dst.close()


def self_signed_cert(folder: str | Path, names: Iterable[str] = ("127.0.0.1", "localhost"),
                     *, days: int = 30) -> tuple[Path, Path]:
    """(certificate, key) PEM files of a new self-signed certificate for ``names`` (host
    names and IP addresses) in ``folder``, for tests and local HTTPS. Clients trust it
    through ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` or their CA option. Needs the
    ``cryptography`` package (the ``test`` extra)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    names = list(names)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = Path(folder)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    key_path.unlink(missing_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable
    with os.fdopen(fd, "wb") as f:                                       # by others
        f.write(pem)
    return cert_path, key_path


__all__ = ["TlsFront", "server_context", "self_signed_cert", "HANDSHAKE_TIMEOUT"]
