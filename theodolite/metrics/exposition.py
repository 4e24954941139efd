"""The server's /metrics: the catalog's families, filled from DerivedMetrics and the server's
own health readings, on an owned registry (never prometheus_client's global one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from theodolite.metrics.catalog import MetricType
from theodolite.metrics.derived import SERVER_METRICS, DerivedMetrics

# name -> [(label values, value)], read at scrape time (queue depth, database size, ...)
HealthSource = Callable[[], dict[str, list[tuple[tuple[str, ...], float]]]]


class ServerCollector:
    def __init__(self, derived: DerivedMetrics, health: HealthSource) -> None:
        self.derived = derived
        self.health = health

    def collect(self) -> Iterator[Metric]:
        counters, histograms, folded = self.derived.snapshot()
        readings = self.health()
        counters["theodolite_metrics_folded_series_total"] = {(name,): float(n) for name, n in folded.items()}
        for spec in SERVER_METRICS:
            labels = list(self.derived.labels_of(spec))
            if spec.type is MetricType.COUNTER:
                family: Metric = CounterMetricFamily(spec.family, spec.help, labels=labels, unit="")
                table = dict(counters.get(spec.name, {}))
                for key, value in readings.get(spec.name, []):
                    table[key] = table.get(key, 0.0) + value
                if not labels and not table:
                    table[()] = 0.0
                for key, value in table.items():
                    family.add_metric(list(key), value)
            elif spec.type is MetricType.HISTOGRAM:
                family = HistogramMetricFamily(spec.name, spec.help, labels=labels)
                for key, row in histograms.get(spec.name, {}).items():
                    family.add_metric(list(key), _cumulative(spec.buckets, row), row[-2])
            else:
                family = GaugeMetricFamily(spec.name, spec.help, labels=labels)
                for key, value in readings.get(spec.name, []):
                    family.add_metric(list(key), value)
            yield family


def _cumulative(bounds: tuple[float, ...], row: list[float]) -> list[tuple[str, float]]:
    buckets, running = [], 0.0
    for bound, count in zip(bounds, row, strict=False):
        running += count
        buckets.append((_bound(bound), running))
    buckets.append(("+Inf", row[-1]))
    return buckets


def _bound(value: float) -> str:
    return repr(float(value))


class ServerMetrics:
    """The registry /metrics serves."""

    def __init__(self, derived: DerivedMetrics, health: HealthSource,
                 project_name: Callable[[int], str] = str) -> None:  # fmt: skip
        self.derived = derived
        self.project_name = project_name
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ServerCollector(derived, health))  # type: ignore[arg-type]
        # process_cpu_seconds_total, process_resident_memory_bytes, ...: the server's own process (Linux /proc)
        ProcessCollector(registry=self.registry)

    def count_rejections(self, project_id: int, count: int) -> None:
        self.derived.count_rejections(self.project_name(project_id), count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
