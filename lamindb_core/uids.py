"""Random base62 identifiers.

Every registry has a ``uid`` of fixed length (``ULabel`` 8, ``Feature`` 12,
``Artifact`` 16 plus a 4-character version suffix). They are drawn from the
operating system's random source, without modulo bias.
"""

from __future__ import annotations

import os

__all__ = [
    "BASE62",
    "base62",
    "base62_4",
    "base62_8",
    "base62_12",
    "base62_16",
    "base62_20",
    "base62_12_v0",
    "base62_16_v0",
    "increment_base62",
]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# 248 = 4 * 62: bytes >= 248 are dropped so that every character is equally likely.
_CUTOFF = 248


# byte value → base62 character; bytes from 248 up are deleted
_TABLE = bytes(ord(BASE62[b % 62]) if b < _CUTOFF else 0 for b in range(256))
_DROP = bytes(range(_CUTOFF, 256))


def base62(n: int) -> str:
    """Return a random base62 string of length ``n``.

    Example:
        >>> len(base62(8))
        8
    """
    while True:
        # a few spare bytes: 8 of 256 values are dropped to avoid bias
        chars = os.urandom(n + 4).translate(_TABLE, _DROP)  # what secrets.token_bytes returns
        if len(chars) >= n:
            return chars[:n].decode()


def base62_4() -> str:
    """A 4-character uid (the public sources of a module's registries)."""
    return base62(4)


def base62_8() -> str:
    """An 8-character uid (``ULabel``, ``User``, ontology terms)."""
    return base62(8)


def base62_12() -> str:
    """A 12-character uid (``Feature``, ``Storage``, ``Space``, genes)."""
    return base62(12)


def base62_16() -> str:
    """A 16-character uid stem of a versioned registry."""
    return base62(16)


def base62_20() -> str:
    """A 20-character uid (``Run``, ``FeatureSet``)."""
    return base62(20)


def base62_12_v0() -> str:
    """A 16-character uid of a first version: 12-character stem plus ``0000``
    (``Transform``)."""
    return base62(12) + "0000"


def base62_16_v0() -> str:
    """A 20-character uid of a first version: 16-character stem plus ``0000``
    (``Artifact``, ``Collection``)."""
    return base62(16) + "0000"


def increment_base62(suffix: str) -> str:
    """Return the next base62 string of the same length (``"0000"`` → ``"0001"``).

    Raises:
        ValueError: if ``suffix`` is already the largest value of its length.
    """
    value = 0
    for char in suffix:
        value = value * 62 + BASE62.index(char)
    value += 1
    if value >= 62 ** len(suffix):
        raise ValueError(f"version suffix {suffix!r} cannot be incremented further")
    chars = []
    for _ in range(len(suffix)):
        value, rem = divmod(value, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars))
