"""Uids of bio records made from a public source: a hash of the term's id, as LaminDB writes them.

LaminDB's bio module gives a record from a public ontology the uid that its
ontology id hashes to (MD5, written in base62, cut to the uid's length), so the
same term has the same uid in every instance: ``CL:0000084`` is ``bt.CellType``
``"22LvKd01"`` wherever it was saved. A record made by hand (no ontology id)
gets a random uid.

Example:
    >>> hashed_uid("HANCESTRO:0597", 8)
    '7RNCY3yC'
"""

from __future__ import annotations

import hashlib

from ..uids import BASE62

__all__ = ["hashed_uid"]


def _base62_of_bytes(data: bytes) -> str:
    """The big-endian number of ``data`` in base62, one ``0`` per leading zero byte."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    leading = len(data) - len(data.lstrip(b"\0"))
    return "0" * leading + "".join(reversed(digits))


def hashed_uid(text: str, length: int) -> str:
    """The uid of length ``length`` that ``text`` (an ontology id, an Ensembl gene id) hashes to.

    Example:
        >>> hashed_uid("CL:0000084", 8)
        '22LvKd01'
    """
    return _base62_of_bytes(hashlib.md5(text.encode()).digest())[:length]
