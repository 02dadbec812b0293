"""The callback signer (core/serve/callback_sign.py) on its own.

The string OSS signs for a callback (OSS docs "Callback", "verify the signature"; the
callback-server samples): ``url_decode(path)``, then ``?`` and the query only when the
URL has one, a newline, and the body; RSA PKCS#1 v1.5 over its MD5, base64. A URL without
a path is the path ``/`` (RFC 9112: an empty path is sent as ``/``). Each signature here
is verified with the public key against a string built from those rules, never from the
signer. A key that cannot sign is refused at start-up with InvalidArgument naming the
``callback_key`` option and the file; without ``cryptography`` the error says which
package to install.
"""
from __future__ import annotations

import base64
import sys

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from core.errors import OssError
from core.serve.callback_sign import load_signing_key, sign_callback


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def pem(key, encryption=None) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption or serialization.NoEncryption())


def verifies(key, signature: str, signed: bytes) -> bool:
    try:
        key.public_key().verify(base64.b64decode(signature), signed, padding.PKCS1v15(),
                                hashes.MD5())
    except InvalidSignature:
        return False
    return True


def test_a_pem_rsa_key_loads_and_signs(rsa_key, tmp_path):
    path = tmp_path / "cb.pem"
    path.write_bytes(pem(rsa_key))
    loaded = load_signing_key(path)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert loaded.private_numbers() == rsa_key.private_numbers()
    assert load_signing_key(str(path)).private_numbers() == rsa_key.private_numbers()


@pytest.mark.parametrize("path,query,body,signed", [
    ("/cb%20path", "a=1&b=~", b"o=x", b"/cb path?a=1&b=~\no=x"),
    ("/cb", "", b'{"size":3}', b'/cb\n{"size":3}'),          # no query: no '?'
    ("", "", b"body", b"/\nbody"),                             # no path: '/'
    ("", "k=v", b"", b"/?k=v\n"),
    ("/%E4%B8%AD", "", b"\xe4\xb8\xad", "/中\n中".encode("utf-8")),  # UTF-8 throughout
])
def test_signature_covers_the_documented_string(rsa_key, path, query, body, signed):
    signature = sign_callback(rsa_key, path, query, body)
    assert verifies(rsa_key, signature, signed)
    assert not verifies(rsa_key, signature, signed + b"x")


def broken_keys(tmp_path):
    (tmp_path / "garbage.pem").write_text("not a key")
    (tmp_path / "ec.pem").write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    (tmp_path / "locked.pem").write_bytes(pem(
        rsa.generate_private_key(public_exponent=65537, key_size=1024),
        serialization.BestAvailableEncryption(b"pass phrase")))
    (tmp_path / "folder.pem").mkdir()
    return ["garbage.pem", "ec.pem", "locked.pem", "folder.pem", "missing.pem"]


def test_keys_that_cannot_sign_are_invalid_arguments(tmp_path):
    for name in broken_keys(tmp_path):
        with pytest.raises(OssError) as e:
            load_signing_key(tmp_path / name)
        assert (e.value.code, e.value.status, e.value.key) == ("InvalidArgument", 400,
                                                               "callback_key"), name
        assert str(tmp_path / name) in e.value.message


def test_without_cryptography_the_error_names_the_package(monkeypatch, tmp_path, rsa_key):
    path = tmp_path / "cb.pem"
    path.write_bytes(pem(rsa_key))
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives", None)
    with pytest.raises(OssError) as e:
        load_signing_key(path)
    assert (e.value.code, e.value.status, e.value.key) == ("InvalidArgument", 400,
                                                           "callback_key")
    assert "cryptography" in e.value.message
