"""Sync: diff store documents against what the store holds and apply the difference
(:mod:`planvec.sync.diff`), and the index pipeline over kinds that feeds it (:mod:`planvec.sync.pipeline`)."""

from __future__ import annotations

from .diff import ApplyStats, CollectionDiff, ProgressFn, Scope, apply_diff, diff_collection
from .pipeline import (
    KindFiles,
    ParsedPaths,
    Resources,
    check_compatible,
    documents,
    ensure_collection,
    index_paths,
    kind_documents,
    one_collection,
    parse_paths,
)
from .report import EXIT_OK, EXIT_PARTIAL, CollectionReport, KindReport, SyncReport, dedupe

__all__ = [
    "EXIT_OK",
    "EXIT_PARTIAL",
    "ApplyStats",
    "CollectionDiff",
    "CollectionReport",
    "KindFiles",
    "KindReport",
    "ParsedPaths",
    "ProgressFn",
    "Resources",
    "Scope",
    "SyncReport",
    "apply_diff",
    "check_compatible",
    "dedupe",
    "diff_collection",
    "documents",
    "ensure_collection",
    "index_paths",
    "kind_documents",
    "one_collection",
    "parse_paths",
]
