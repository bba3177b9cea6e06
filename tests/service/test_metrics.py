"""/metrics after a search holds the migration guide's metric names and the service's own."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from .conftest import service_dirs

assert service_dirs


def test_metrics_after_search(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "observabilité et métriques Prometheus", "limit": 3})
    assert r.status_code == 200
    client.get("/api/v1/search", params={"q": "observabilité et métriques Prometheus", "limit": 3})
    m = client.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    text = m.text
    assert re.search(r'^vectorization_duration_seconds_bucket\{.*success="true".*type="query"', text, re.M)
    assert "# TYPE vectorization_duration_seconds histogram" in text
    assert re.search(
        r'^qdrant_operations_total\{collection="roadmap_tasks",operation="search",status="success"\} [1-9]',
        text,
        re.M,
    )
    assert "# TYPE qdrant_operations_total counter" in text
    assert re.search(
        r'^http_request_duration_seconds_count\{method="GET",route="/api/v1/search",status="200"\}',
        text,
        re.M,
    )
    assert re.search(r'^planvec_collection_points\{collection="roadmap_tasks"\} [1-9]\d{3}', text, re.M)
    ratio = re.search(r"^query_embedding_cache_hit_ratio (\S+)", text, re.M)
    assert ratio and 0.0 < float(ratio.group(1)) <= 1.0  # the second, identical search hit the cache
    assert re.search(r"^query_embedding_batch_size_count [1-9]", text, re.M)
