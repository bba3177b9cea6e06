"""``GET /api/v1/security/scan`` and ``GET /api/v1/security/anomalies`` (admin scope), and the
``planvec_security_anomalies`` gauge: shells over :mod:`planvec.ops.security_scan` and
:mod:`planvec.ops.anomalies`. The policies themselves are searched with the normal search
(``kind=security``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from ...ops.anomalies import audit_files, detect_anomalies
from ...ops.security_scan import scan
from ..auth import Principal, require
from ..errors import ApiError
from ..state import Service, get_service

router = APIRouter(prefix="/api/v1/security", tags=["security"])
ANOMALY_TYPES = ("refused_burst", "rate_spike", "new_action", "new_target", "unusual_hour")
RECENT = timedelta(hours=24)  # what the gauge counts


@router.get("/scan", summary="Security scan of the configured index paths")
async def security_scan(
    request: Request,
    _: Annotated[Principal, Depends(require("admin", "security.scan"))],
    fail_on: Annotated[str, Query(description="info, low, medium, high or critical")] = "high",
) -> dict[str, Any]:
    """Secrets (redacted), sensitive files, vulnerable dependencies and configuration findings of
    the files under `PLANVEC_INDEX_PATHS`, as `planvec security scan --json` reports them; `ok`
    is false when a finding is at or above `fail_on`."""
    svc = get_service(request)
    paths = [Path(p).expanduser() for p in svc.settings.index_paths]
    if not paths:
        raise ApiError(
            409,
            "no_index_paths",
            "no index paths are configured: nothing to scan",
            hint="start the service with PLANVEC_INDEX_PATHS=DIR[,DIR...]",
        )
    # (a bad fail_on is a UsageError: 400 invalid_request)
    report = await run_in_threadpool(scan, paths, svc.settings, fail_on=fail_on)
    return report.to_dict()


def audit_path(svc: Service) -> Path:
    return svc.audit.path


@router.get("/anomalies", summary="Anomalies in the audit log, per API key")
async def security_anomalies(
    request: Request,
    _: Annotated[Principal, Depends(require("admin", "security.anomalies"))],
    since: Annotated[
        datetime | None, Query(description="Only anomalies from then on (ISO 8601); history before counts.")
    ] = None,
) -> dict[str, Any]:
    """Refused-request bursts, request-rate spikes, first use of an action or a target and
    activity at unusual hours, per API key against its own history (median/MAD over a sliding
    window), each with a short reason. An empty log gives no anomaly."""
    svc = get_service(request)
    when = since.replace(tzinfo=since.tzinfo or UTC) if since else None
    if not audit_files(audit_path(svc)):
        return {"events": 0, "keys": {}, "ok": True, "counts": {}, "anomalies": [], "problems": []}
    report = await run_in_threadpool(detect_anomalies, audit_path(svc), since=when)
    return report.to_dict()


class AnomalyCollector(Collector):
    """``planvec_security_anomalies{type}``: anomalies of the last 24 hours, computed again only
    when the audit files changed since the last scrape."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self._key: tuple[Any, ...] | None = None
        self._counts: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        g = GaugeMetricFamily(
            "planvec_security_anomalies", "Anomalies in the audit log in the last 24 hours", labels=["type"]
        )
        try:
            counts = self._current()
        except Exception:  # the audit log must not break a scrape; the endpoint reports its problems
            counts = {}
        for t in ANOMALY_TYPES:
            g.add_metric([t], counts.get(t, 0))
        yield g

    def _current(self) -> dict[str, int]:
        files = audit_files(audit_path(self.svc))
        key = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        if key != self._key:
            self._counts = {}
            if files:
                report = detect_anomalies(audit_path(self.svc), since=datetime.now(UTC) - RECENT)
                self._counts = report.counts
            self._key = key
        return self._counts


def attach_metrics(svc: Service) -> None:
    svc.metrics.registry.register(AnomalyCollector(svc))
