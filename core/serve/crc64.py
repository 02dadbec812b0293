"""CRC-64/ECMA-182 as OSS computes it (``x-oss-hash-crc64ecma``).

crcmod (its maintained fork ``crcmod-plus``, which alibabacloud-oss-v2 also uses; oss2
uses crcmod with the same parameters) with its C extension: ~1 GB/s instead of a pure
Python loop. The value is the reflected CRC-64 with polynomial 0x42F0E1EBA9EA3693,
initial value and final XOR all ones (CRC-64/XZ; check value of "123456789" is
0x995DC9BBDF1939FA).
"""
from __future__ import annotations

import crcmod

_POLY = 0x142F0E1EBA9EA3693
_crc = crcmod.mkCrcFun(_POLY, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64(data: bytes, previous: int = 0) -> int:
    """The CRC of ``data``, continued from the CRC of the bytes before it."""
    return _crc(data, previous)


class Crc64:
    """Incremental CRC-64/ECMA over chunks."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def update(self, data: bytes) -> None:
        self.value = _crc(data, self.value)
