"""Small image factories for tests (synthetic images, encoded in memory)."""
from __future__ import annotations

import base64
import hashlib
import io
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "samples" / "example.jpg"



def md5_b64(body: bytes) -> str:
    """The Content-MD5 header value of ``body``: its MD5 digest, base64-encoded."""
    return base64.b64encode(hashlib.md5(body).digest()).decode()

def encode(image: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def solid(w: int, h: int, color=(200, 30, 30), mode: str = "RGB", fmt: str = "PNG") -> bytes:
    return encode(Image.new(mode, (w, h), color), fmt)


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def quadrants(w: int, h: int) -> Image.Image:
    """Four coloured quadrants: red top-left, green top-right, blue bottom-left,
    yellow bottom-right -- lets a test tell rotations and crops apart."""
    im = Image.new("RGB", (w, h))
    im.paste((255, 0, 0), (0, 0, w // 2, h // 2))
    im.paste((0, 255, 0), (w // 2, 0, w, h // 2))
    im.paste((0, 0, 255), (0, h // 2, w // 2, h))
    im.paste((255, 255, 0), (w // 2, h // 2, w, h))
    return im


def with_orientation(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", exif=exif.tobytes(), quality=95)


@contextmanager
def running_server(root, acl: str = "public-read-write", credentials=(), **kw):
    """``oss-img serve`` for ``root`` on a free loopback port, stopped afterwards."""
    from core.serve.runner import serve

    server = serve(root, "127.0.0.1", 0, acl, tuple(credentials), **kw)
    server.start()
    try:
        yield server
    finally:
        server.stop()



@contextmanager
def one_bucket_server(tmp_path_factory, bucket: str, acl: str = "public-read-write",
                      credentials=(), **kw):
    """:func:`running_server` over a fresh root holding one empty bucket named ``bucket``;
    yields (server, root)."""
    root = tmp_path_factory.mktemp(bucket)
    (root / bucket).mkdir()
    with running_server(root, acl, credentials, **kw) as server:
        yield server, root


def mappings_of(path) -> int:
    """How many mappings of the file ``path`` this process has (Linux /proc): one per open
    FreeType face of a font, plus any Qt holds for its own text."""
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if line.rstrip().endswith(str(path)))


# The code that tests with image worker processes (``workers >= 1``) are about: the pool,
# its limits and errors, the server's start and stop, the service's use of the pool. Such
# a test costs seconds; under mutation testing it runs only for mutants of this code
# (``mutation_scope``, tests/conftest.py): the request path it also passes through is
# covered by hundreds of faster in-process tests (docs/TESTING.md).
WORKER_CODE = ("core.serve.imaging", "core.serve.config", "core.serve.runner",
               "core.serve.service.OssService.__init__",
               "core.serve.service.OssService.close",
               "core.serve.service.OssService.process",
               "core.serve.service.OssService.handle")


def rsa_key_pem(path: Path, bits: int = 1024):
    """A new RSA private key written to ``path`` as unencrypted PKCS#8 PEM (what
    ``oss-img serve --callback-key`` reads); returns the key, for checking signatures."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return key
