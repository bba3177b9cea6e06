"""Prometheus metrics, one CollectorRegistry per app.

Names from the migration guide (a contract): ``vectorization_duration_seconds{type,success}`` and
``qdrant_operations_total{operation,collection,status}``. Plus request latency per route, points per
collection, the query-embedding cache (hits, misses, hit ratio) and the embedding cache levels
(``planvec_embedding_cache_hits_total{level}``, ``..._misses_total{level}``,
``planvec_embedding_computed_total``), read from the Engine at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from ..engine import Engine
    from .keys import KeyStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.vectorization = Histogram(
            "vectorization_duration_seconds",
            "Duration of vectorization (embedding) operations",
            ["type", "success"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.qdrant_operations = Counter(
            "qdrant_operations",
            "Total number of Qdrant (vector store) operations",
            ["operation", "collection", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.query_batch = Histogram(
            "query_embedding_batch_size",
            "Queries embedded together by the micro-batcher",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )

    def attach_engine(self, engine: Engine) -> None:
        self.registry.register(_EngineCollector(engine))

    def attach_keys(self, keys: KeyStore) -> None:
        self.registry.register(_KeysCollector(keys))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _EngineCollector(Collector):
    """Points per collection and query-cache figures, read when /metrics is scraped."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        eng = self.engine
        hits, misses = eng.qcache_hits, eng.qcache_misses
        c = CounterMetricFamily("query_embedding_cache_hits", "Query embeddings served from the LRU cache")
        c.add_metric([], hits)
        yield c
        c = CounterMetricFamily("query_embedding_cache_misses", "Query embeddings computed")
        c.add_metric([], misses)
        yield c
        g = GaugeMetricFamily("query_embedding_cache_hit_ratio", "hits / (hits + misses) since start")
        g.add_metric([], hits / (hits + misses) if hits + misses else 0.0)
        yield g
        yield from _cache_metrics(eng)
        g = GaugeMetricFamily("planvec_collection_points", "Points per collection", labels=["collection"])
        try:
            for col in eng.collections():
                g.add_metric([col.name], col.points)
        except Exception:  # a store problem must not break the scrape; /readyz reports it
            pass
        yield g


def _cache_metrics(eng: Engine) -> Iterator[Metric]:
    """The embedding cache (documents and queries): hits and misses per level, vectors computed."""
    stats = eng.cache_stats()
    hits = CounterMetricFamily(
        "planvec_embedding_cache_hits", "Vectors served by each embedding cache level", labels=["level"]
    )
    misses = CounterMetricFamily(
        "planvec_embedding_cache_misses",
        "Lookups each embedding cache level could not serve",
        labels=["level"],
    )
    computed = CounterMetricFamily("planvec_embedding_computed", "Texts the model embedded (cache misses)")
    if stats is not None:
        for level in stats.hits:
            hits.add_metric([level], stats.hits[level])
            misses.add_metric([level], stats.misses[level])
        computed.add_metric([], stats.computed)
    yield hits
    yield misses
    yield computed


class _KeysCollector(Collector):
    """API keys in use and whether the keys file is unreadable (the last good set then serves)."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def collect(self) -> Iterator[Metric]:
        problem = self.keys.problem
        g = GaugeMetricFamily("planvec_api_keys", "API keys in use (keys file and environment)")
        g.add_metric([], len(self.keys.keys()))
        yield g
        g = GaugeMetricFamily(
            "planvec_keys_file_error", "1 while the API keys file cannot be read (the last good set serves)"
        )
        g.add_metric([], 1 if problem else 0)
        yield g
