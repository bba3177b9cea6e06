"""What every kind shares: file problems, store documents, stable point ids and hashes.

Each record of a kind has a stable ``anchor`` (unique in its file) from which the point id is derived,
see :func:`point_id`. The records themselves belong to their kind (``kinds/plans/records.py``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

# Fixed namespace: point ids must never change between versions of planvec.
PLANVEC_NAMESPACE = uuid.UUID("6f1d0b52-6a8e-4c1e-9a39-2f7f6c0e8d11")

TASKS_COLLECTION = "roadmap_tasks"
SECTIONS_COLLECTION = "roadmap_sections"


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be indexed (or only partly); never skipped silently."""

    path: str
    reason: str
    line: int | None = None  # 1-based line of the part that was not indexed; None: the whole file


@dataclass(frozen=True, slots=True)
class StoreDoc:
    """One point to be, as a kind builds it: id, dense text, sparse (BM25) text, payload (with hashes)."""

    point_id: str
    text: str
    sparse_text: str
    payload: dict[str, Any]

    @property
    def content_hash(self) -> str:
        return str(self.payload["content_hash"])

    @property
    def payload_hash(self) -> str:
        return str(self.payload["payload_hash"])


def finish_doc(
    collection: str,
    root: str,
    file: str,
    anchor: str,
    text: str,
    sparse_text: str,
    payload: dict[str, Any],
    model_key: str,
) -> StoreDoc:
    """A StoreDoc with the fields sync reads back (``text``, ``content_hash``, ``payload_hash``) and
    its stable point id. ``payload`` must already hold ``root`` and ``file``."""
    payload["text"] = text
    payload["content_hash"] = content_hash(f"{text}\x1e{sparse_text}", model_key)
    payload["payload_hash"] = payload_hash(payload)
    return StoreDoc(point_id(collection, f"{root}/{file}", anchor), text, sparse_text, payload)


def point_id(collection: str, file: str, anchor: str) -> str:
    """Stable point id: uuid5 of collection + source path + anchor."""
    return str(uuid.uuid5(PLANVEC_NAMESPACE, f"{collection}\x1f{file}\x1f{anchor}"))


def content_hash(text: str, model_id: str) -> str:
    """Hash of what the vector depends on: the embedded text and the model."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


def payload_hash(payload: dict[str, Any]) -> str:
    """Hash of a payload (without the hash fields themselves), order independent."""
    clean = {k: v for k, v in payload.items() if k not in ("content_hash", "payload_hash")}
    blob = json.dumps(clean, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]
