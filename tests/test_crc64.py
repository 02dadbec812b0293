"""CRC-64/ECMA-182 as OSS reports it in ``x-oss-hash-crc64ecma``.

Expected values: the published check value of CRC-64/XZ (the catalogue's "123456789" ->
0x995DC9BBDF1939FA, the parameters OSS documents), and alibabacloud-oss-v2's own CRC-64
(``alibabacloud_oss_v2.crc.Crc64``, which the SDK compares with the server's header).
"""
from __future__ import annotations

import random

from alibabacloud_oss_v2.crc import Crc64 as SdkCrc64

from core.serve.crc64 import Crc64, crc64


def sdk(data: bytes) -> int:
    c = SdkCrc64(0)
    c.update(data)
    return c.sum64()


def test_check_value_of_the_catalogue():
    assert crc64(b"123456789") == 0x995DC9BBDF1939FA
    assert crc64(b"") == 0


def test_matches_the_sdk_on_random_data():
    rng = random.Random(16)
    for n in (1, 7, 64, 1000, 65537):
        data = rng.randbytes(n)
        assert crc64(data) == sdk(data)


def test_continues_from_the_crc_of_the_bytes_before():
    assert crc64(b"56789", crc64(b"1234")) == 0x995DC9BBDF1939FA


def test_incremental_over_chunks_equals_one_shot():
    c = Crc64()
    assert c.value == 0
    for chunk in (b"12", b"", b"345", b"6789"):
        c.update(chunk)
    assert c.value == 0x995DC9BBDF1939FA
    d = Crc64(crc64(b"1234"))
    d.update(b"56789")
    assert d.value == 0x995DC9BBDF1939FA
