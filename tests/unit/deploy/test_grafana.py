"""deploy/grafana/wirestream.json: parsed, and every metric it queries is one that the
worker (pipeline.metrics, Prometheus' process collector) or the API (the same, plus
pipeline.http.health.PipelineCollector) exposes, with the labels it filters and groups on."""

from __future__ import annotations

import json
import re
from functools import cache

from prometheus_client import REGISTRY

import pipeline.metrics  # noqa: F401  (registers the worker's metrics)
from pipeline.http.health import PipelineCollector
from pipeline.settings import Settings
from tests.unit.deploy.artifacts import DEPLOY

DASHBOARD = DEPLOY / "grafana" / "wirestream.json"

# Series Prometheus itself adds to every scrape, and the labels it attaches.
PROMETHEUS_SERIES = {"up": set[str](), "scrape_duration_seconds": set[str]()}
TARGET_LABELS = {"job", "instance", "le"}

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}

PROMQL_WORDS = {
    # aggregations, functions and keywords that look like identifiers
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset", "rate", "irate", "increase", "delta", "idelta",
    "deriv", "histogram_quantile", "abs", "ceil", "floor", "round", "clamp_min", "clamp_max",
    "label_replace", "label_join", "vector", "scalar", "time", "absent", "changes", "resets",
    "sum_over_time", "avg_over_time", "max_over_time", "min_over_time", "last_over_time",
    "predict_linear", "sort", "sort_desc", "inf", "nan",
}  # fmt: skip


@cache
def exposed() -> dict[str, set[str]]:
    """Every series name the worker or the API can expose -> its label names."""
    families = list(REGISTRY.collect()) + list(PipelineCollector(Settings()).describe())
    names: dict[str, set[str]] = dict(PROMETHEUS_SERIES)
    for family in families:
        labels: set[str] = set()
        for sample in family.samples:
            labels |= set(sample.labels)
        metric = REGISTRY._names_to_collectors.get(
            family.name + "_total"
        ) or REGISTRY._names_to_collectors.get(family.name)
        labels |= set(getattr(metric, "_labelnames", ()))  # a labelled metric with no child yet
        labels |= set(getattr(family, "_labelnames", ()))  # the API collector's describe()
        for suffix in SUFFIXES.get(family.type, ("",)):
            names[family.name + suffix] = labels
    return names


def expressions() -> list[tuple[str, str]]:
    board = json.loads(DASHBOARD.read_text())
    out = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
    return out


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_IDENT = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w(])")


def metrics_in(expr: str) -> dict[str, set[str]]:
    """Metric names in a PromQL expression -> the label names matched on each."""
    found: dict[str, set[str]] = {}
    grouping = {label.strip() for g in _GROUPING.findall(expr) for label in g.split(",")}
    for name, matchers in _SELECTOR.findall(expr):
        found.setdefault(name, set()).update(
            m.split("=")[0].rstrip("!~").strip()
            for m in _STRING.sub("", matchers).split(",")
            if m.strip()
        )
    bare = _GROUPING.sub(" ", _SELECTOR.sub(r" \1 ", expr))
    bare = re.sub(r"\[[^\]]*\]", " ", _STRING.sub(" ", bare))
    for ident in _IDENT.findall(bare):
        if ident not in PROMQL_WORDS and not re.fullmatch(r"\d.*", ident):
            found.setdefault(ident, set())
    for labels in found.values():
        labels |= grouping
    return found


def test_dashboard_is_provisionable_json() -> None:
    board = json.loads(DASHBOARD.read_text())
    assert board["uid"] == "wirestream" and board["title"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()


def test_dashboard_covers_what_the_issue_asks() -> None:
    queried = {m for _, expr in expressions() for m in metrics_in(expr)}
    for needed in (
        "wire_dispatches_total",  # ingest rate
        "wire_consumer_lag",  # lag per partition
        "wire_stage_seconds_bucket",  # stage times
        "wire_dead_letters_total",
        "wire_dead_letter_records",
        "wire_alerts_total",
        "wire_events_total",  # events per type
    ):
        assert needed in queried


def test_every_queried_metric_and_label_exists() -> None:
    names = exposed()
    for title, expr in expressions():
        for metric, labels in metrics_in(expr).items():
            assert metric in names, f"{title}: {metric} is exposed by neither worker nor API"
            unknown = labels - names[metric] - TARGET_LABELS
            assert not unknown, f"{title}: {metric} has no label {sorted(unknown)}"


def test_the_metric_check_bites() -> None:
    found = metrics_in('sum by (stage) (rate(wire_stage_secs_bucket{stage="x"}[5m]))')
    assert found == {"wire_stage_secs_bucket": {"stage"}}
    assert "wire_stage_secs_bucket" not in exposed()
    assert "wire_stage_seconds_bucket" in exposed()
    assert "typo" not in exposed()["wire_dispatches_total"]
