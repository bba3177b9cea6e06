"""Cache keys and the stored form of a vector: a small header (magic, dimension, dtype, CRC-32) and
the raw float32 bytes.

A cached entry is served only when its header says the expected dimension and dtype and its
checksum matches the bytes: a truncated, corrupt or wrong-length entry reads as a miss (and is
overwritten by the recomputed vector), never as a vector.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

import numpy as np

MAGIC = b"PVE1"
_HEADER = struct.Struct("<4sIBI")  # magic, dimension, dtype code, CRC-32 of the data
_FLOAT32 = 1


def cache_key(identity: str, namespace: str, text: str) -> str:
    """The key of one text's vector: SHA-256 over the model identity, the embedder's input
    namespace (queries vs documents for models that tell them apart) and the exact text."""
    h = hashlib.sha256()
    for part in (identity, namespace, text):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def encode(vec: np.ndarray) -> bytes:
    data = np.ascontiguousarray(vec, dtype="<f4").tobytes()
    return _HEADER.pack(MAGIC, int(vec.shape[0]), _FLOAT32, zlib.crc32(data)) + data


def decode(blob: object, dimension: int) -> np.ndarray | None:
    """The vector of a stored entry, or None when the entry is not a whole, intact float32 vector
    of ``dimension`` finite values."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        return None
    raw = bytes(blob)
    if len(raw) != _HEADER.size + 4 * dimension:
        return None
    magic, dim, dtype, crc = _HEADER.unpack_from(raw)
    data = raw[_HEADER.size :]
    if magic != MAGIC or dim != dimension or dtype != _FLOAT32 or zlib.crc32(data) != crc:
        return None
    vec = np.frombuffer(data, dtype="<f4").astype(np.float32)
    if not np.isfinite(vec).all():
        return None
    return vec
