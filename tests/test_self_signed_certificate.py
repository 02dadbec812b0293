"""``core.serve.tls.self_signed_cert`` and ``server_context``: what the docstrings promise,
read back with ``cryptography``'s X.509 parser and the standard library's TLS client.

- The certificate names every given host: IP literals as iPAddress and the rest as dNSName
  subject alternative names (RFC 5280 4.2.1.6; what TLS clients match, RFC 6125), the
  first as the subject's common name; it is self-issued and its signature verifies with
  its own public key (ECDSA P-256 with SHA-256); it is valid from a few minutes before
  now (clock skew) for ``days`` days; a CA (basic constraints, critical), so clients can
  trust it as their CA file.
- The key is PKCS#8 PEM, unencrypted, the certificate's own, and readable by its owner
  only (mode 0600), also when it replaces an older key file.
- ``server_context`` speaks TLS 1.2 or later only (its minimum version), loads
  a key from its own file or from the certificate file, and refuses a file that is no
  certificate with InvalidArgument naming ``certfile``.
"""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import stat
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from core.errors import OssError
from core.serve.tls import server_context, self_signed_cert

NAMES = ("127.0.0.1", "localhost", "::1", "img.example.test")


def load(cert_path):
    return x509.load_pem_x509_certificate(cert_path.read_bytes())


def test_certificate_names_validity_and_constraints(tmp_path):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cert_path, key_path = self_signed_cert(tmp_path, NAMES, days=3)
    after = datetime.datetime.now(datetime.timezone.utc)
    assert (cert_path, key_path) == (tmp_path / "cert.pem", tmp_path / "key.pem")
    cert = load(cert_path)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in cn] == ["127.0.0.1"]
    assert cert.issuer == cert.subject
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert san.critical is False
    assert san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    assert san.value.get_values_for_type(x509.DNSName) == ["localhost", "img.example.test"]
    basic = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    assert basic.critical is True and basic.value.ca is True
    assert basic.value.path_length is None
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    assert end - start == datetime.timedelta(days=3, minutes=5)
    assert before - datetime.timedelta(minutes=5, seconds=1) <= start
    assert start <= after - datetime.timedelta(minutes=5)
    # self-signed: ECDSA P-256 over SHA-256, verified with its own key
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.curve.name == "secp256r1"
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    public.verify(cert.signature, cert.tbs_certificate_bytes,
                  ec.ECDSA(cert.signature_hash_algorithm))


def test_default_names_and_days(tmp_path):
    cert = load(self_signed_cert(tmp_path)[0])
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1")]
    assert san.value.get_values_for_type(x509.DNSName) == ["localhost"]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == datetime.timedelta(
        days=30, minutes=5)
    assert cert.serial_number > 0


def test_key_is_the_certificates_own_unencrypted_pkcs8_and_private(tmp_path):
    stale = tmp_path / "key.pem"
    stale.write_bytes(b"old")
    stale.chmod(0o644)
    cert_path, key_path = self_signed_cert(tmp_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    pem = key_path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")         # PKCS#8, not SEC1
    key = serialization.load_pem_private_key(pem, password=None)
    assert key.public_key().public_numbers() == load(cert_path).public_key().public_numbers()
    assert cert_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    # two certificates never share a key or a serial number
    other = tmp_path / "other"
    other.mkdir()
    cert2 = load(self_signed_cert(other)[0])
    assert cert2.serial_number != load(cert_path).serial_number
    assert cert2.public_key().public_numbers() != load(cert_path).public_key().public_numbers()


def handshake(ctx: ssl.SSLContext, client: ssl.SSLContext) -> str:
    """The TLS version agreed between a server with ``ctx`` and ``client``."""
    a, b = socket.socketpair()
    result = {}

    def serve():
        try:
            with ctx.wrap_socket(a, server_side=True) as s:
                result["server"] = s.version()
        except (ssl.SSLError, OSError) as e:
            result["server"] = e

    t = threading.Thread(target=serve)
    t.start()
    try:
        with client.wrap_socket(b, server_hostname="localhost") as c:
            return c.version()
    finally:
        b.close()
        t.join(10)
        a.close()


def test_server_context_is_tls_1_2_or_later(tmp_path):
    cert_path, key_path = self_signed_cert(tmp_path)
    ctx = server_context(cert_path, key_path)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    client = ssl.create_default_context(cafile=str(cert_path))
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    assert handshake(ctx, client) == "TLSv1.2"
    assert handshake(ctx, ssl.create_default_context(cafile=str(cert_path))) == "TLSv1.3"


def test_server_context_key_in_the_certificate_file(tmp_path):
    cert_path, key_path = self_signed_cert(tmp_path)
    both = tmp_path / "both.pem"
    both.write_bytes(cert_path.read_bytes() + key_path.read_bytes())
    ctx = server_context(both)
    client = ssl.create_default_context(cafile=str(cert_path))
    assert handshake(ctx, client).startswith("TLSv1.")
    with pytest.raises(OssError) as e:
        server_context(cert_path)                       # no key in it, none given
    assert (e.value.code, e.value.key) == ("InvalidArgument", "certfile")
    assert str(cert_path) in e.value.message
    with pytest.raises(OssError) as e:
        server_context(key_path, key_path)              # a key is no certificate
    assert (e.value.code, e.value.key) == ("InvalidArgument", "certfile")
