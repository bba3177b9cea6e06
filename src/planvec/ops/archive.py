"""The planvec backup archive: a streamed, framed, compressed (optionally encrypted) file.

Layout::

    file header   MAGIC "PVARCHV1" | u16 format | u8 flags (bit 0: encrypted) | u8 compression (1: zlib)
                  encrypted only: salt[16] | u8 log2(scrypt n) | u8 r | u8 p | key check[16]
    frames        u32 length | u8 kind | body[length] | plain only: u32 crc32(kind + body)

Frame kinds, in order: ``H`` header (JSON), then per collection ``C`` (JSON: name, dimension,
distance, model, sparse, payload indexes, metadata), ``P`` point batches (binary, below), ``E``
(JSON: points, sha256 of the collection's point batches), and last ``M``, the manifest (JSON: the
collections with counts and checksums, and the sha256 of every frame before it). Nothing may
follow ``M``; a file that ends before it is truncated.

A point batch (before compression) is ``u32 n_header | header JSON {n, dim, nnz} | ids n×16 bytes
(UUID) | dense n×dim float32 LE | sparse flags n×u8 | sparse offsets (n+1)×u32 | sparse indices
nnz×u32 | sparse values nnz×float32 | payloads (one JSON array)``.

Every body is zlib-compressed. Encrypted archives use AES-256-GCM: the key is derived from the
given key material with scrypt and the salt of the header; frame ``i`` is sealed with nonce ``i``
(96-bit big-endian) and the associated data ``file header | u64 i | kind | final flag``, so a
flipped byte, reordered or dropped frames and a cut-off end all fail authentication. The key
check (a GCM tag over the header with a reserved nonce) tells a wrong key from a damaged file.
"""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from ..errors import PlanvecError
from ..store.base import PointData, SparseVec, StoredPoint

MAGIC = b"PVARCHV1"
FORMAT_VERSION = 1
FLAG_ENCRYPTED = 1
COMPRESSION_ZLIB = 1
SALT_BYTES = 16
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 14, 8, 1
KEY_CHECK_NONCE = b"\xff" * 12
MAX_FRAME = 1 << 30
KINDS = (b"H", b"C", b"P", b"E", b"M")
_FRAME_HEAD = struct.Struct(">IB")  # length, kind
_U32 = struct.Struct(">I")


class ArchiveError(PlanvecError):
    """The archive is unreadable: corrupted, tampered with, truncated, or the key is wrong."""


class ArchiveKeyError(ArchiveError):
    """The archive is encrypted and the key is missing or wrong."""


def is_archive(head: bytes) -> bool:
    return head.startswith(MAGIC)


def derive_key(material: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if not material:
        raise ArchiveKeyError("the encryption key is empty", hint="give a non-empty key")
    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(material)


def _aead(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _aad(header: bytes, index: int, kind: bytes) -> bytes:
    return header + index.to_bytes(8, "big") + kind + (b"\x01" if kind == b"M" else b"\x00")


# -- point batches ------------------------------------------------------------------------------
def encode_points(points: Sequence[StoredPoint | PointData], dim: int) -> bytes:
    """A point batch as bytes (see the module docstring)."""
    n = len(points)
    ids = b"".join(uuid.UUID(p.id).bytes for p in points)
    dense = np.empty((n, dim), dtype="<f4")
    flags = bytearray(n)
    offsets = np.zeros(n + 1, dtype="<u4")
    s_idx: list[int] = []
    s_val: list[float] = []
    for i, p in enumerate(points):
        if p.vector is None:
            raise ArchiveError(f"point {p.id} has no dense vector: cannot back it up")
        dense[i] = p.vector
        if p.sparse is not None:
            flags[i] = 1
            s_idx.extend(p.sparse.indices)
            s_val.extend(p.sparse.values)
        offsets[i + 1] = len(s_idx)
    payloads = json.dumps([p.payload for p in points], ensure_ascii=False, separators=(",", ":"))
    head = json.dumps({"n": n, "dim": dim, "nnz": len(s_idx)}).encode()
    return b"".join(
        (
            _U32.pack(len(head)),
            head,
            ids,
            dense.tobytes(),
            bytes(flags),
            offsets.tobytes(),
            np.asarray(s_idx, dtype="<u4").tobytes(),
            np.asarray(s_val, dtype="<f4").tobytes(),
            payloads.encode(),
        )
    )


def decode_points(raw: bytes) -> list[PointData]:
    """The points of a batch written by :func:`encode_points`."""
    try:
        (hlen,) = _U32.unpack_from(raw, 0)
        head = json.loads(raw[4 : 4 + hlen])
        n, dim, nnz = int(head["n"]), int(head["dim"]), int(head["nnz"])
        pos = 4 + hlen
        ids = [str(uuid.UUID(bytes=raw[pos + 16 * i : pos + 16 * i + 16])) for i in range(n)]
        pos += 16 * n
        dense = np.frombuffer(raw, dtype="<f4", count=n * dim, offset=pos).reshape(n, dim)
        pos += 4 * n * dim
        flags = raw[pos : pos + n]
        pos += n
        offsets = np.frombuffer(raw, dtype="<u4", count=n + 1, offset=pos)
        pos += 4 * (n + 1)
        s_idx = np.frombuffer(raw, dtype="<u4", count=nnz, offset=pos).tolist()
        pos += 4 * nnz
        s_val = np.frombuffer(raw, dtype="<f4", count=nnz, offset=pos).tolist()
        pos += 4 * nnz
        payloads = json.loads(raw[pos:])
        if len(payloads) != n or len(flags) != n:
            raise ValueError("point count mismatch")
    except (ValueError, KeyError, IndexError, struct.error, TypeError) as e:
        raise ArchiveError(f"a point batch of the archive is malformed: {e}") from e
    out = []
    for i in range(n):
        sparse = None
        if flags[i]:
            a, b = int(offsets[i]), int(offsets[i + 1])
            sparse = SparseVec(tuple(s_idx[a:b]), tuple(s_val[a:b]))
        out.append(PointData(ids[i], dense[i], payloads[i], sparse))
    return out


# -- writing ------------------------------------------------------------------------------------
@dataclass
class _CollectionState:
    name: str
    points: int = 0
    sha: Any = field(default_factory=hashlib.sha256)


class ArchiveWriter:
    """Writes an archive frame by frame to a binary file object (constant memory)."""

    def __init__(self, out: IO[bytes], key: bytes | None = None, *, level: int = 1) -> None:
        self.out = out
        self.level = level
        self.index = 0
        self.sha = hashlib.sha256()
        self.bytes_written = 0
        self._coll: _CollectionState | None = None
        self.collections: list[dict[str, Any]] = []
        flags = FLAG_ENCRYPTED if key is not None else 0
        header = MAGIC + struct.pack(">HBB", FORMAT_VERSION, flags, COMPRESSION_ZLIB)
        self._aes: Any = None
        if key is not None:
            import os

            salt = os.urandom(SALT_BYTES)
            header += salt + bytes((SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P))
            self._aes = _aead(derive_key(key, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P))
            header += self._aes.encrypt(KEY_CHECK_NONCE, b"", header)  # 16-byte tag
        self.header = header
        self._write(header)

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.bytes_written += len(data)

    def frame(self, kind: bytes, raw: bytes) -> None:
        self.sha.update(kind)
        self.sha.update(_U32.pack(len(raw)))
        self.sha.update(raw)
        body = zlib.compress(raw, self.level)
        if self._aes is not None:
            body = self._aes.encrypt(_nonce(self.index), body, _aad(self.header, self.index, kind))
            self._write(_FRAME_HEAD.pack(len(body), kind[0]) + body)
        else:
            crc = zlib.crc32(body, zlib.crc32(kind))
            self._write(_FRAME_HEAD.pack(len(body), kind[0]) + body + _U32.pack(crc))
        self.index += 1

    def json_frame(self, kind: bytes, obj: Any) -> None:
        self.frame(kind, json.dumps(obj, ensure_ascii=False, sort_keys=True).encode())

    def begin_collection(self, info: dict[str, Any]) -> None:
        self._coll = _CollectionState(str(info["name"]))
        self.collections.append(dict(info))
        self.json_frame(b"C", info)

    def points(self, points: Sequence[StoredPoint | PointData], dim: int) -> None:
        assert self._coll is not None
        raw = encode_points(points, dim)
        self._coll.points += len(points)
        self._coll.sha.update(raw)
        self.frame(b"P", raw)

    def end_collection(self) -> dict[str, Any]:
        assert self._coll is not None
        end = {"name": self._coll.name, "points": self._coll.points, "sha256": self._coll.sha.hexdigest()}
        self.collections[-1].update(points=end["points"], sha256=end["sha256"])
        self.json_frame(b"E", end)
        self._coll = None
        return end

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        m = dict(manifest)
        m["collections"] = self.collections
        m["total_points"] = sum(int(c.get("points", 0)) for c in self.collections)
        m["frames"] = self.index
        m["sha256"] = self.sha.hexdigest()
        self.json_frame(b"M", m)
        return m


# -- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Frame:
    kind: bytes
    raw: bytes  # decompressed (and decrypted) body


class ArchiveReader:
    """Reads and authenticates the frames of an archive, in order."""

    def __init__(self, src: IO[bytes], key: bytes | None = None, *, name: str = "the archive") -> None:
        self.src = src
        self.name = name
        head = self.src.read(len(MAGIC) + 4)
        if not is_archive(head) and not (head and MAGIC.startswith(head)):
            raise ArchiveError(
                f"{name} is not a planvec backup archive", hint="give a file made by planvec backup"
            )
        if len(head) < len(MAGIC) + 4:
            raise ArchiveError(f"{name} is truncated (in the header)", hint="give a complete backup file")
        version, flags, compression = struct.unpack(">HBB", head[len(MAGIC) :])
        if version != FORMAT_VERSION or compression != COMPRESSION_ZLIB:
            raise ArchiveError(
                f"{name} has format {version} (compression {compression}); this planvec reads format "
                f"{FORMAT_VERSION}",
                hint="restore it with the planvec version that wrote it",
            )
        self.encrypted = bool(flags & FLAG_ENCRYPTED)
        self._aes: Any = None
        if self.encrypted:
            extra = self._read(SALT_BYTES + 3, "header")
            header = head + extra
            tag = self._read(16, "header")
            if key is None:
                raise ArchiveKeyError(
                    f"{name} is encrypted and no key was given",
                    hint="pass --key-env VAR or --key-file PATH (default: $PLANVEC_BACKUP_KEY)",
                )
            salt, (log2_n, r, p) = extra[:SALT_BYTES], extra[SALT_BYTES:]
            if not (10 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
                raise ArchiveError(f"{name}: invalid key derivation parameters (damaged header)")
            self._aes = _aead(derive_key(key, salt, log2_n, r, p))
            from cryptography.exceptions import InvalidTag

            try:
                self._aes.decrypt(KEY_CHECK_NONCE, tag, header)
            except InvalidTag:
                raise ArchiveKeyError(
                    f"wrong key for {name} (or its header is damaged)",
                    hint="check --key-env / --key-file: use the key the backup was made with",
                ) from None
            self.header = header + tag
        else:
            self.header = head
        self.index = 0
        self.sha = hashlib.sha256()
        self.done = False

    def _read(self, n: int, what: str) -> bytes:
        data = self.src.read(n)
        if len(data) != n:
            raise ArchiveError(
                f"{self.name} is truncated (in the {what})",
                hint="the copy is incomplete: take the backup again or find a complete copy",
            )
        return data

    def frames(self) -> Iterator[Frame]:
        """Every frame, authenticated and decompressed, up to and including the manifest."""
        from cryptography.exceptions import InvalidTag

        while not self.done:
            head = self.src.read(_FRAME_HEAD.size)
            if len(head) != _FRAME_HEAD.size:
                raise ArchiveError(
                    f"{self.name} is truncated: it ends before its manifest (after {self.index} frames)",
                    hint="the copy is incomplete: take the backup again or find a complete copy",
                )
            length, kind_b = _FRAME_HEAD.unpack(head)
            kind = bytes((kind_b,))
            if kind not in KINDS or length > MAX_FRAME:
                raise ArchiveError(f"{self.name} is corrupted (frame {self.index} has a bad header)")
            body = self._read(length, f"frame {self.index}")
            if self._aes is not None:
                try:
                    body = self._aes.decrypt(_nonce(self.index), body, _aad(self.header, self.index, kind))
                except InvalidTag:
                    raise ArchiveError(
                        f"{self.name} has been tampered with or is corrupted (frame {self.index} fails "
                        "authentication)",
                        hint="restore from another copy of the backup",
                    ) from None
            else:
                (crc,) = _U32.unpack(self._read(4, f"frame {self.index}"))
                if zlib.crc32(body, zlib.crc32(kind)) != crc:
                    raise ArchiveError(
                        f"{self.name} is corrupted (checksum of frame {self.index} does not match)",
                        hint="restore from another copy of the backup",
                    )
            try:
                raw = zlib.decompress(body)
            except zlib.error as e:
                raise ArchiveError(f"{self.name} is corrupted (frame {self.index}: {e})") from e
            if kind == b"M":
                self.done = True
                if self.src.read(1):
                    raise ArchiveError(f"{self.name} has data after its manifest (damaged or tampered)")
            else:
                self.sha.update(kind)
                self.sha.update(_U32.pack(len(raw)))
                self.sha.update(raw)
            self.index += 1
            yield Frame(kind, raw)


def load_json(frame: Frame, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(frame.raw)
    except ValueError as e:
        raise ArchiveError(f"the {what} of the archive is not valid JSON: {e}") from e
    if not isinstance(obj, dict):
        raise ArchiveError(f"the {what} of the archive is not a JSON object")
    return obj
