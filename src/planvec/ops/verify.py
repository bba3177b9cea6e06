"""``verify``: the quality of the stored vectors, without the source files.

On every point: dimension against the collection config, NaN/inf, norm ≈ 1, all-zero vectors,
identical vectors on different texts. On a seeded random sample: self-retrieval (re-embed the stored
``text``; the point must come back first, a tie with an identical vector counting as found) and model
drift (cosine between the fresh and the stored vector). Then semantic probes: for each probe the
model must place ``closer`` nearer to ``text`` than ``farther``.
"""

from __future__ import annotations

import json
import random
import time
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..clock import now_iso
from ..embedding.base import Embedder
from ..errors import CollectionNotFound, UsageError
from ..settings import Settings
from ..store.base import VectorStore
from .problems import Problem, cli_prefix, fix_command

LIST_LIMIT = 100  # ids kept per list in the report
SCORE_TIE = 1e-4  # a top hit scoring within this of the point's own score is a tie
ZERO_NORM = 1e-6


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_self_retrieval: float = 0.99  # share of the sample that must come back first
    min_cosine: float = 0.999  # re-embedded vs stored vector, below: drift (model changed)
    norm_tolerance: float = 1e-3  # |norm - 1| above this: not normalised
    probe_margin: float = 0.0  # cos(text, closer) must exceed cos(text, farther) by more than this

    def __post_init__(self) -> None:
        for name in ("min_self_retrieval", "min_cosine"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise UsageError(f"{name} must be between 0 and 1 (got {v})")
        if self.norm_tolerance <= 0:
            raise UsageError(f"norm_tolerance must be positive (got {self.norm_tolerance})")


@dataclass(frozen=True, slots=True)
class Probe:
    text: str
    closer: str
    farther: str


DEFAULT_PROBES = (
    Probe("back up the database", "save a copy of the data store", "change the colour of the login button"),
    Probe("fix the memory leak in the cache", "cache uses too much RAM", "write the release notes"),
    Probe("add unit tests for the parser", "test the Markdown parsing code", "configure the DNS records"),
)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    text: str
    closer: str
    farther: str
    cos_closer: float
    cos_farther: float
    passed: bool


@dataclass(slots=True)
class VerifyReport:
    collection: str
    model: str  # configured model
    collection_model: str | None = None
    dimension: int = 0  # collection's
    model_dimension: int = 0
    points: int = 0
    scanned: int = 0
    wrong_dimension: list[str] = field(default_factory=list)
    non_finite: list[str] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)
    not_normalised: list[str] = field(default_factory=list)
    identical: list[list[str]] = field(default_factory=list)  # groups of ids: same vector, other texts
    sample: int = 0
    self_hits: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)
    drifted: list[dict[str, Any]] = field(default_factory=list)
    min_cosine: float | None = None
    probes: list[ProbeResult] = field(default_factory=list)
    thresholds: Thresholds = field(default_factory=Thresholds)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    generated_at: str = field(default_factory=now_iso)

    @property
    def self_retrieval(self) -> float | None:
        return round(self.self_hits / self.sample, 4) if self.sample else None

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def bad_vector_ids(self) -> set[str]:
        """Points whose vector must be re-embedded (identical groups included)."""
        ids = set(self.wrong_dimension) | set(self.non_finite) | set(self.zero) | set(self.not_normalised)
        for g in self.identical:
            ids.update(g)
        return ids

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "collection": self.collection,
            "generated_at": self.generated_at,
            "summary": {
                "points": self.points,
                "scanned": self.scanned,
                "dimension": f"{self.dimension} (model {self.model_dimension})",
                "wrong_dimension": len(self.wrong_dimension),
                "non_finite": len(self.non_finite),
                "zero": len(self.zero),
                "not_normalised": len(self.not_normalised),
                "identical_groups": len(self.identical),
                "sample": self.sample,
                "self_retrieval": self.self_retrieval,
                "drifted": len(self.drifted),
                "min_cosine": self.min_cosine,
                "probes_failed": sum(not p.passed for p in self.probes),
                "seconds": round(self.seconds, 3),
            },
            "model": self.model,
            "collection_model": self.collection_model,
            "thresholds": asdict(self.thresholds),
            "problems": [p.to_dict() for p in self.problems],
            "wrong_dimension": self.wrong_dimension[:LIST_LIMIT],
            "non_finite": self.non_finite[:LIST_LIMIT],
            "zero": self.zero[:LIST_LIMIT],
            "not_normalised": self.not_normalised[:LIST_LIMIT],
            "identical": self.identical[:LIST_LIMIT],
            "misses": self.misses[:LIST_LIMIT],
            "drifted": self.drifted[:LIST_LIMIT],
            "probes": [asdict(p) for p in self.probes],
        }


def load_probes(path: str | Path) -> list[Probe]:
    """Probes from a TOML file (``[[probe]]`` tables) or JSON (a list, or ``{"probe": [...]}``)."""
    p = Path(path).expanduser()
    try:
        raw = p.read_bytes()
        data: Any = tomllib.loads(raw.decode()) if p.suffix.lower() == ".toml" else json.loads(raw)
    except OSError as e:
        raise UsageError(f"cannot read the probes file {p}: {e.strerror or e}") from e
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"the probes file {p} is not valid {p.suffix or 'JSON'}: {e}") from e
    items = data.get("probe", data.get("probes")) if isinstance(data, dict) else data
    hint = 'each probe needs "text", "closer" and "farther" strings'
    if not isinstance(items, list) or not items:
        raise UsageError(f"no probes in {p}", hint=hint)
    out = []
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not all(
            isinstance(it.get(k), str) for k in ("text", "closer", "farther")
        ):
            raise UsageError(f"probe {i + 1} in {p} is malformed", hint=hint)
        out.append(Probe(it["text"], it["closer"], it["farther"]))
    return out


def scan_vectors(
    ids: Sequence[str], texts: Sequence[str], vectors: Sequence[np.ndarray | None], dimension: int, tol: float
) -> tuple[list[str], list[str], list[str], list[str], list[list[str]], np.ndarray]:
    """(wrong dimension, non-finite, zero, not normalised, identical groups, mask of good rows)."""
    n = len(ids)
    good = np.zeros(n, dtype=bool)
    mat = np.zeros((n, dimension), dtype=np.float32)
    wrong: list[str] = []
    for i, v in enumerate(vectors):
        if v is None or v.shape != (dimension,):
            wrong.append(ids[i])
        else:
            mat[i] = v
            good[i] = True
    finite = np.isfinite(mat).all(axis=1)
    non_finite = [ids[int(i)] for i in np.flatnonzero(good & ~finite)]
    good &= finite
    norms = np.linalg.norm(np.where(good[:, None], mat, 0.0), axis=1)
    zero_mask = good & (norms < ZERO_NORM)
    bad_norm_mask = good & ~zero_mask & (np.abs(norms - 1.0) > tol)
    zero = [ids[int(i)] for i in np.flatnonzero(zero_mask)]
    not_norm = [ids[int(i)] for i in np.flatnonzero(bad_norm_mask)]
    good &= ~zero_mask
    groups: dict[bytes, list[int]] = defaultdict(list)
    for row in np.flatnonzero(good):
        groups[mat[row].tobytes()].append(int(row))
    identical = [[ids[i] for i in g] for g in groups.values() if len({texts[i] for i in g}) > 1]
    return wrong, non_finite, zero, not_norm, identical, good


def verify(
    store: VectorStore,
    embedder: Embedder,
    settings: Settings,
    collection: str | None = None,
    sample: int = 500,
    *,
    thresholds: Thresholds | None = None,
    probes: Sequence[Probe] | None = None,
    seed: int = 0,
) -> VerifyReport:
    t0 = time.perf_counter()
    if sample < 0:
        raise UsageError("--sample must be 0 or more")
    th = thresholds or Thresholds()
    s = settings
    coll = collection or s.tasks_collection
    info = store.collection_info(coll)
    if info is None:
        raise CollectionNotFound(
            f"collection {coll!r} does not exist", hint=f"index some plans first: {cli_prefix(s)} index PATH"
        )
    emb = embedder
    r = VerifyReport(coll, emb.model_id, thresholds=th, collection_model=info.model, dimension=info.dimension)
    r.model_dimension = emb.dimension
    r.points = info.points
    ids: list[str] = []
    texts: list[str] = []
    roots: set[str] = set()
    vecs: list[np.ndarray | None] = []
    for p in store.scroll(coll, fields=["text", "root"], with_vectors=True):
        ids.append(p.id)
        texts.append(str(p.payload.get("text") or ""))
        if isinstance(p.payload.get("root"), str):
            roots.add(p.payload["root"])
        vecs.append(p.vector)
    r.scanned = len(ids)
    wrong, r.non_finite, r.zero, r.not_normalised, r.identical, good = scan_vectors(
        ids, texts, vecs, info.dimension, th.norm_tolerance
    )
    r.wrong_dimension = wrong
    if info.dimension == emb.dimension and sample > 0:
        _sample_checks(store, emb, r, ids, texts, vecs, good, sample, seed)
    r.probes = run_probes(emb, list(probes) if probes is not None else list(DEFAULT_PROBES), th)
    r.problems = _problems(s, r, info.model, roots)
    r.seconds = time.perf_counter() - t0
    return r


def _sample_checks(
    store: VectorStore,
    embedder: Embedder,
    r: VerifyReport,
    ids: Sequence[str],
    texts: Sequence[str],
    vecs: Sequence[np.ndarray | None],
    good: np.ndarray,
    sample: int,
    seed: int,
) -> None:
    cand = [int(i) for i in np.flatnonzero(good) if texts[int(i)].strip()]
    picked = sorted(random.Random(seed).sample(cand, min(sample, len(cand))))
    if not picked:
        return
    fresh = embedder.embed([texts[i] for i in picked])
    stored = np.stack([np.asarray(vecs[i]) for i in picked]).astype(np.float32)
    stored_n = stored / np.linalg.norm(stored, axis=1, keepdims=True)
    fresh_n = fresh / np.maximum(np.linalg.norm(fresh, axis=1, keepdims=True), ZERO_NORM)
    cos = (stored_n * fresh_n).sum(axis=1)
    r.min_cosine = round(float(cos.min()), 6)
    r.drifted = [
        {"id": ids[i], "cosine": round(float(c), 6), "text": texts[i][:120]}
        for i, c in zip(picked, cos, strict=True)
        if c < r.thresholds.min_cosine
    ]
    r.sample = len(picked)
    for k, i in enumerate(picked):
        hits = store.search(r.collection, fresh[k], limit=1)
        own = float(cos[k])
        if hits and (hits[0].id == ids[i] or hits[0].score <= own + SCORE_TIE):
            r.self_hits += 1
        else:
            top = hits[0].id if hits else None
            r.misses.append({"id": ids[i], "text": texts[i][:120], "top": top})


def run_probes(embedder: Embedder, probes: Sequence[Probe], th: Thresholds) -> list[ProbeResult]:
    if not probes:
        return []
    flat = [t for p in probes for t in (p.text, p.closer, p.farther)]
    v = embedder.embed(flat)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), ZERO_NORM)
    out = []
    for k, p in enumerate(probes):
        a, b, c = v[3 * k], v[3 * k + 1], v[3 * k + 2]
        cb, cc = float(a @ b), float(a @ c)
        out.append(
            ProbeResult(p.text, p.closer, p.farther, round(cb, 4), round(cc, 4), cb > cc + th.probe_margin)
        )
    return out


def _problems(s: Settings, r: VerifyReport, collection_model: str | None, roots: set[str]) -> list[Problem]:
    fix = fix_command(s, roots)
    out: list[Problem] = []
    if r.dimension != r.model_dimension:
        out.append(
            Problem(
                "dimension_mismatch",
                f"collection {r.collection!r} holds {r.dimension}-d vectors, the model {r.model} makes "
                f"{r.model_dimension}-d ones",
                fix,
            )
        )
    elif collection_model and collection_model != r.model:
        out.append(
            Problem(
                "model_mismatch",
                f"collection {r.collection!r} was made with {collection_model}, the configured model is "
                f"{r.model}",
                fix,
            )
        )
    for attr, what in (
        ("wrong_dimension", "vector(s) of the wrong dimension"),
        ("non_finite", "vector(s) holding NaN or infinity"),
        ("zero", "all-zero vector(s)"),
        ("not_normalised", f"vector(s) with a norm off 1 by more than {r.thresholds.norm_tolerance}"),
    ):
        bad = getattr(r, attr)
        if bad and not (attr == "wrong_dimension" and r.dimension != r.model_dimension):
            out.append(Problem(attr, f"{len(bad)} {what}", fix))
    if r.identical:
        n = sum(len(g) for g in r.identical)
        out.append(
            Problem(
                "identical_vectors",
                f"{n} points in {len(r.identical)} group(s) share one vector but hold different texts",
                fix,
            )
        )
    if r.drifted:
        out.append(
            Problem(
                "model_changed",
                f"model changed: {len(r.drifted)} of {r.sample} sampled vectors differ from a fresh "
                f"embedding (min cosine {r.min_cosine} < {r.thresholds.min_cosine})",
                fix,
            )
        )
    rate = r.self_retrieval
    if rate is not None and rate < r.thresholds.min_self_retrieval:
        out.append(
            Problem(
                "self_retrieval",
                f"self-retrieval {rate:.2%} < {r.thresholds.min_self_retrieval:.0%}: {len(r.misses)} sampled "
                "points do not come back first for their own text",
                fix,
            )
        )
    failed = [p for p in r.probes if not p.passed]
    if failed:
        out.append(
            Problem(
                "semantic_probe",
                f"{len(failed)} semantic probe(s) failed (e.g. {failed[0].text!r} is nearer to "
                f"{failed[0].farther!r} than to {failed[0].closer!r}): the model is broken or unsuited",
                f"{cli_prefix(s)} model build",
            )
        )
    return out
