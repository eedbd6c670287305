"""deploy/k8s, offline: each overlay built by kustomize (`kubectl kustomize`), every object
checked against the Kubernetes schemas (kubernetes-validate, strict), and what the schemas
cannot know: probes, resources, selectors, the autoscaler against the topic and the
partitions, the SSE-friendly ingress, settings and commands."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

from tests.unit.deploy.artifacts import DEPLOY, check_wire, check_wire_environment

K8S = DEPLOY / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
KUBERNETES_VERSIONS = ["1.29.0", "1.33.0"]  # the oldest supported and a recent one
KUBECTL = shutil.which("kubectl")
# Custom resources have no schema in kubernetes-validate: checked field by field below.
CUSTOM = {("keda.sh/v1alpha1", "ScaledObject"), ("monitoring.coreos.com/v1", "PodMonitor")}

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="needs kubectl (kustomize) on PATH")


@cache
def build(path: Path) -> tuple[dict[str, Any], ...]:
    assert KUBECTL is not None
    done = subprocess.run(
        [KUBECTL, "kustomize", str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def objects(overlay: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [o for o in build(K8S / "overlays" / overlay) if kind is None or o["kind"] == kind]


def one(overlay: str, kind: str, name: str) -> dict[str, Any]:
    [found] = [o for o in objects(overlay, kind) if o["metadata"]["name"] == name]
    return found


def config(overlay: str) -> dict[str, str]:
    [cm] = [
        o
        for o in objects(overlay, "ConfigMap")
        if o["metadata"]["name"].startswith("wirestream-config")
    ]
    data: dict[str, str] = cm["data"]
    return data


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(overlay: str, version: str) -> None:
    checked = 0
    for obj in objects(overlay):
        if (obj["apiVersion"], obj["kind"]) in CUSTOM:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
        checked += 1
    assert checked >= 10


def test_the_schema_check_bites() -> None:
    worker = yaml.safe_load((K8S / "base" / "worker.yaml").read_text())
    worker["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, KUBERNETES_VERSIONS[0], strict=True)
    with pytest.raises(SchemaNotFoundError):
        kubernetes_validate.validate(
            {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject"}, "1.33.0", strict=True
        )


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_run_wire_commands_with_known_settings(overlay: str) -> None:
    check_wire_environment(config(overlay), f"{overlay} ConfigMap")
    commands: list[bool] = []
    for obj in objects(overlay):
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        spec = obj["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        for c in containers(obj):
            assert "command" not in c, "args only: the image's entrypoint reads *_FILE secrets"
            check_wire_environment(
                {e["name"]: e for e in c.get("env", [])}, obj["metadata"]["name"]
            )
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"]
            commands.append(check_wire(c["args"]))
    assert commands.count(True) >= 2  # worker and api; feeds once `wire feeds` is merged


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_worker_has_probes_resources_from_measured_rss_and_a_budget(overlay: str) -> None:
    worker = one(overlay, "Deployment", "wirestream-worker")
    [c] = containers(worker)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"]["path"] == "/metrics"
        assert c[probe]["httpGet"]["port"] == "metrics"
    port = int(c["args"][c["args"].index("--web-port") + 1])
    assert c["ports"] == [{"name": "metrics", "containerPort": port}]
    # bench/README.md: one worker with one NLP process peaks under 1 GiB
    assert c["resources"]["requests"]["memory"] == "1Gi"
    assert c["resources"]["limits"]["memory"] == "1536Mi"
    assert config(overlay)["WIRE_NLP_PROCESSES"] == "1"
    labels = worker["spec"]["template"]["metadata"]["labels"]
    budgets = [
        p
        for p in objects(overlay, "PodDisruptionBudget")
        if p["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert [b["spec"]["maxUnavailable"] for b in budgets] == [1]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_and_budget_selects_pods(overlay: str) -> None:
    pods = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in objects(overlay)
        if o["kind"] in ("Deployment", "StatefulSet")
    ]
    for obj in objects(overlay):
        if obj["kind"] == "Service":
            selector = obj["spec"]["selector"]
        elif obj["kind"] == "PodDisruptionBudget":
            selector = obj["spec"]["selector"]["matchLabels"]
        else:
            continue
        assert any(selector.items() <= labels.items() for labels in pods), obj["metadata"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_ingress_does_not_buffer_server_sent_events(overlay: str) -> None:
    ingress = one(overlay, "Ingress", "wirestream-api")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = one(overlay, "Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    [c] = containers(one(overlay, "Deployment", "wirestream-api"))
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_credentials_come_from_the_secret(overlay: str) -> None:
    [secret] = objects(overlay, "Secret")
    keys = set(secret["data"])
    for obj in objects(overlay):
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for c in containers(obj):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["name"] == secret["metadata"]["name"] and ref["key"] in keys


def scaled_object(overlay: str) -> dict[str, Any] | None:
    found = objects(overlay, "ScaledObject")
    return found[0] if found else None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaler_watches_the_workers_group_on_the_raw_topic(overlay: str) -> None:
    so = scaled_object(overlay)
    if so is None:
        pytest.skip(f"{overlay}: no autoscaler")
    cfg = config(overlay)
    assert so["spec"]["scaleTargetRef"]["name"] == "wirestream-worker"
    one(overlay, "Deployment", so["spec"]["scaleTargetRef"]["name"])
    [trigger] = so["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["bootstrapServers"] == cfg["WIRE_KAFKA_BOOTSTRAP"]
    assert meta["consumerGroup"] == cfg["WIRE_CONSUMER_GROUP"]
    assert meta["topic"] == f"{cfg['WIRE_TOPIC_PREFIX']}.raw"
    assert int(meta["lagThreshold"]) > 0
    # a worker beyond the partition count gets no partition
    assert 1 <= so["spec"]["minReplicaCount"] <= so["spec"]["maxReplicaCount"]
    assert so["spec"]["maxReplicaCount"] <= int(cfg["WIRE_RAW_PARTITIONS"])


def test_the_external_metric_hpa_validates(tmp_path: Path) -> None:
    """The HPA alternative to KEDA, built over the base in a throwaway overlay."""
    overlay = tmp_path / "hpa"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                # kustomize takes relative paths only
                "resources": [os.path.relpath(K8S / "base", overlay)],
                "components": [os.path.relpath(K8S / "components/hpa-external-metric", overlay)],
            }
        )
    )
    [hpa] = [o for o in build(overlay) if o["kind"] == "HorizontalPodAutoscaler"]
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(hpa, version, strict=True)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "wirestream-worker"
    assert hpa["spec"]["maxReplicas"] <= 12  # the base's 12 raw partitions


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pod_monitors_scrape_named_ports(overlay: str) -> None:
    for monitor in objects(overlay, "PodMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"]
        [target] = [
            o
            for o in objects(overlay)
            if o["kind"] == "Deployment"
            and selector.items() <= o["spec"]["template"]["metadata"]["labels"].items()
        ]
        ports = {p["name"] for c in containers(target) for p in c.get("ports", [])}
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            assert endpoint["port"] in ports and endpoint["path"] == "/metrics"
