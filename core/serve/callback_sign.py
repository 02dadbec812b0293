"""Signing upload callbacks as OSS does (see :mod:`core.serve.callback`).

``authorization`` is base64 of the RSA PKCS#1 v1.5 signature, MD5 digest, of
``url_decode(path)`` + (``?query`` when there is one) + a newline + the body; callback servers
fetch the public key from the base64 URL in ``x-oss-pub-key-url``. ``cryptography`` does
the RSA (the well-kept library for it; optional extra ``callback-sign``). Kept apart from
callback.py so the configuration can check a key at start-up without importing the
service.
"""
from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import unquote

from ..errors import OssError


def load_signing_key(path: str | Path):
    """The RSA private key (unencrypted PEM) callbacks are signed with."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        raise OssError("InvalidArgument", "Signing callbacks needs the cryptography package "
                       "(pip install 'oss-style-viewer[callback-sign]').",
                       key="callback_key") from None
    key = None
    try:
        if Path(path).is_file():          # a regular file only (never a FIFO or device)
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        pass
    if not isinstance(key, rsa.RSAPrivateKey):
        raise OssError("InvalidArgument", f"The callback key {path} is not a readable, "
                       "unencrypted PEM RSA private key.", key="callback_key")
    return key


def sign_callback(key, path: str, query: str, body: bytes) -> str:
    """OSS's callback ``authorization`` header for one callback request."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    text = unquote(path or "/") + (f"?{query}" if query else "") + "\n"
    signature = key.sign(text.encode("utf-8") + body, padding.PKCS1v15(), hashes.MD5())
    return base64.b64encode(signature).decode("ascii")
