"""deploy/k8s, offline: each overlay built by kustomize (`kubectl kustomize`), every object
checked against the Kubernetes schemas (kubernetes-validate, strict), and what the schemas
cannot know: probes, resources, selectors, the autoscaler against the topic and the
partitions, the SSE-friendly ingress, settings and commands, and the worker StatefulSet's
identity (its static group member id) and state (its RocksDB datadir on its own claim)."""

from __future__ import annotations

import copy
import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
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
WORKLOADS = ("Deployment", "StatefulSet")
WORKER = "wirestream-worker"
# The gate's per-guid state on disk, never expired (README.md "The gate's state",
# bench/README.md), and each overlay's dispatches a day (deploy/README.md "Sizing").
GUID_STATE_BYTES = 500
DISPATCHES_PER_DAY = {"newsroom": 5_000, "aggregator": 1_000_000}

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
    worker = yaml.safe_load((K8S / "base" / "worker.yaml").read_text())
    assert worker["kind"] == "StatefulSet"
    worker["spec"]["volumeClaimTemplate"] = worker["spec"].pop("volumeClaimTemplates")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, KUBERNETES_VERSIONS[-1], strict=True)
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
        if obj["kind"] not in WORKLOADS:
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
    worker = one(overlay, "StatefulSet", WORKER)
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
        if o["kind"] in WORKLOADS
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
def test_every_statefulset_has_its_headless_governing_service(overlay: str) -> None:
    objs = objects(overlay)
    headless = {
        o["metadata"]["name"]: o["spec"]["selector"]
        for o in objs
        if o["kind"] == "Service" and o["spec"].get("clusterIP") == "None"
    }
    sets = [o for o in objs if o["kind"] == "StatefulSet"]
    assert {s["metadata"]["name"] for s in sets} >= {"wirestream-worker", "wirestream-feeds"}
    for sts in sets:
        name = sts["spec"]["serviceName"]
        assert name in headless, f"{sts['metadata']['name']}: no headless Service {name}"
        labels = sts["spec"]["template"]["metadata"]["labels"]
        assert headless[name].items() <= labels.items(), f"{name} selects other pods"


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
        if obj["kind"] not in WORKLOADS:
            continue
        for c in containers(obj):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["name"] == secret["metadata"]["name"] and ref["key"] in keys


def check_scale_target(ref: dict[str, Any], objs: Sequence[dict[str, Any]]) -> None:
    """An autoscaler's scaleTargetRef names the worker StatefulSet by its kind and API
    version (KEDA and the HPA default to, or were written for, a Deployment)."""
    assert ref["name"] == WORKER
    assert ref.get("kind") == "StatefulSet", f"scaleTargetRef kind {ref.get('kind')}"
    [target] = [o for o in objs if o["kind"] == ref["kind"] and o["metadata"]["name"] == WORKER]
    assert ref.get("apiVersion", target["apiVersion"]) == target["apiVersion"]


def test_the_scale_target_check_bites() -> None:
    objs = objects("aggregator")
    ref = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": WORKER}
    check_scale_target(ref, objs)
    for wrong in ({"kind": "Deployment"}, {"kind": None}, {"apiVersion": "apps/v1beta2"}):
        bad = {k: v for k, v in {**ref, **wrong}.items() if v is not None}
        with pytest.raises((AssertionError, ValueError)):
            check_scale_target(bad, objs)


def scaled_object(overlay: str) -> dict[str, Any] | None:
    found = objects(overlay, "ScaledObject")
    return found[0] if found else None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaler_watches_the_workers_group_on_the_raw_topic(overlay: str) -> None:
    so = scaled_object(overlay)
    if so is None:
        pytest.skip(f"{overlay}: no autoscaler")
    cfg = config(overlay)
    check_scale_target(so["spec"]["scaleTargetRef"], objects(overlay))
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
    check_scale_target(hpa["spec"]["scaleTargetRef"], build(overlay))
    assert hpa["spec"]["maxReplicas"] <= 12  # the base's 12 raw partitions


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pod_monitors_scrape_named_ports(overlay: str) -> None:
    for monitor in objects(overlay, "PodMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"]
        [target] = [
            o
            for o in objects(overlay)
            if o["kind"] in WORKLOADS
            and selector.items() <= o["spec"]["template"]["metadata"]["labels"].items()
        ]
        ports = {p["name"] for c in containers(target) for p in c.get("ports", [])}
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            assert endpoint["port"] in ports and endpoint["path"] == "/metrics"


# ---- the worker StatefulSet: stable identity, state on its own claim ----

_QUANTITY = re.compile(r"^([0-9.]+)([KMGTPE]i?|k)?$")
_FACTORS = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_FACTORS |= {f"{u}i": 1024 ** (i + 1) for i, u in enumerate("KMGTPE")}


def quantity_bytes(value: str) -> float:
    """A Kubernetes storage quantity (5Gi, 500M, 1024) in bytes."""
    m = _QUANTITY.match(str(value))
    assert m, f"not a storage quantity: {value!r}"
    return float(m.group(1)) * _FACTORS[m.group(2)]


def test_quantities() -> None:
    assert quantity_bytes("5Gi") == 5 * 2**30
    assert quantity_bytes("256Mi") == 256 * 2**20
    assert quantity_bytes("100G") == 100e9
    assert quantity_bytes("1024") == 1024
    with pytest.raises(AssertionError):
        quantity_bytes("5 GB")


def fewest_workers(objs: Sequence[dict[str, Any]]) -> int:
    """The fewest workers that hold every partition: the autoscaler's minimum, else the
    StatefulSet's replicas."""
    for o in objs:
        if o["kind"] == "ScaledObject" and o["spec"]["scaleTargetRef"]["name"] == WORKER:
            return int(o["spec"]["minReplicaCount"])
        if o["kind"] == "HorizontalPodAutoscaler":
            return int(o["spec"].get("minReplicas", 1))
    [sts] = [o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["name"] == WORKER]
    return int(sts["spec"]["replicas"])


def check_worker_statefulset(objs: Sequence[dict[str, Any]], dispatches_per_day: int) -> None:
    """The worker is a StatefulSet whose pods keep their name (= hostname = the static
    member id `<hostname>-<web port>`, pipeline/kafka/membership.py) and their RocksDB
    datadir (WIRE_WORKER_DATADIR, pipeline/worker/app.py `_folder`) on their own claim,
    sized for a year of the gate's state they hold; never more workers than partitions."""
    workloads = [o for o in objs if o["kind"] in WORKLOADS and o["metadata"]["name"] == WORKER]
    assert [o["kind"] for o in workloads] == ["StatefulSet"], "the worker must be a StatefulSet"
    [sts] = [o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["name"] == WORKER]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    [cm] = [
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("wirestream-config")
    ]
    cfg: dict[str, str] = cm["data"]
    partitions = int(cfg["WIRE_RAW_PARTITIONS"])

    # Workers start together; rolled one at a time; never more than the partitions.
    assert spec.get("podManagementPolicy") == "Parallel", "workers start one by one"
    assert spec.get("updateStrategy", {}).get("type", "RollingUpdate") == "RollingUpdate"
    assert 1 <= int(spec["replicas"]) <= partitions, f"replicas > {partitions} partitions"

    # The governing Service: headless, selecting these pods.
    services = [
        o for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == spec["serviceName"]
    ]
    assert len(services) == 1, f"no Service {spec['serviceName']} for the StatefulSet"
    [svc] = services
    assert svc["spec"].get("clusterIP") == "None", "a StatefulSet's Service is headless"
    assert svc["spec"]["selector"].items() <= labels.items()

    # Hostname = pod name, unique and stable: nothing may replace it or the id made of it.
    assert "hostname" not in pod, "every pod would have the same hostname"
    assert not pod.get("setHostnameAsFQDN"), "the member id would change with the Service"
    assert not pod.get("hostNetwork"), "the hostname would be the node's"
    assert "WIRE_WORKER_INSTANCE_ID" not in cfg, "one id for every worker"
    [c] = containers(sts)
    env = {e["name"]: e for e in c.get("env", [])}
    if "WIRE_WORKER_INSTANCE_ID" in env:  # only the pod's own name will do
        ref = env["WIRE_WORKER_INSTANCE_ID"].get("valueFrom", {}).get("fieldRef", {})
        assert ref.get("fieldPath") == "metadata.name", env["WIRE_WORKER_INSTANCE_ID"]

    # The datadir is on a volume claim template (a claim per pod), not on a pod volume.
    datadir = env["WIRE_WORKER_DATADIR"]["value"] if "WIRE_WORKER_DATADIR" in env else None
    datadir = datadir or cfg.get("WIRE_WORKER_DATADIR")
    assert datadir and datadir.startswith("/"), f"WIRE_WORKER_DATADIR {datadir!r}"
    [mount] = sorted(
        (
            m
            for m in c["volumeMounts"]
            if (datadir + "/").startswith(m["mountPath"].rstrip("/") + "/")
        ),
        key=lambda m: len(m["mountPath"]),
    )[-1:]
    claims = {t["metadata"]["name"]: t for t in spec.get("volumeClaimTemplates", [])}
    assert mount["name"] in claims, f"{datadir} is on {mount['name']}, not on a claim"
    assert mount["name"] not in {v["name"] for v in pod.get("volumes", [])}
    assert not mount.get("readOnly")
    claim = claims[mount["name"]]["spec"]
    assert "ReadWriteOnce" in claim["accessModes"] or "ReadWriteOncePod" in claim["accessModes"]

    # Sized for a year of the gate's state that a worker holds when the fewest workers
    # share the partitions (~0.5 KB per guid, never expired).
    per_worker = math.ceil(partitions / fewest_workers(objs)) / partitions
    year = dispatches_per_day * 365 * GUID_STATE_BYTES * per_worker
    size = quantity_bytes(claim["resources"]["requests"]["storage"])
    assert size >= year, f"claim {size / 1e9:.1f} GB < a year of state ({year / 1e9:.1f} GB)"

    # Claims kept when the set shrinks (deploy/README.md says what to do with them).
    policy = spec.get("persistentVolumeClaimRetentionPolicy", {})
    assert policy.get("whenScaled", "Retain") == "Retain", "claims deleted on scale-down"
    assert policy.get("whenDeleted", "Retain") == "Retain", "claims deleted with the set"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_worker_is_a_statefulset_with_a_stable_identity_and_its_state_on_a_claim(
    overlay: str,
) -> None:
    check_worker_statefulset(objects(overlay), DISPATCHES_PER_DAY[overlay])


def _sts(objs: list[dict[str, Any]]) -> dict[str, Any]:
    [sts] = [o for o in objs if o["kind"] == "StatefulSet" and o["metadata"]["name"] == WORKER]
    return sts


def _pod(objs: list[dict[str, Any]]) -> dict[str, Any]:
    pod: dict[str, Any] = _sts(objs)["spec"]["template"]["spec"]
    return pod


def _env(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = _pod(objs)["containers"][0]["env"]
    return env


def _as_deployment(objs: list[dict[str, Any]]) -> None:
    sts = _sts(objs)
    sts["kind"] = "Deployment"
    for key in ("serviceName", "podManagementPolicy", "volumeClaimTemplates"):
        sts["spec"].pop(key)


def _state_on_empty_dir(objs: list[dict[str, Any]]) -> None:
    _sts(objs)["spec"].pop("volumeClaimTemplates")
    _pod(objs)["volumes"].append({"name": "state", "emptyDir": {"sizeLimit": "256Mi"}})


def _datadir_off_the_claim(objs: list[dict[str, Any]]) -> None:
    [e] = [e for e in _env(objs) if e["name"] == "WIRE_WORKER_DATADIR"]
    e["value"] = "/tmp/worker"


def _claim(objs: list[dict[str, Any]], size: str) -> None:
    _sts(objs)["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = size


def _config(objs: list[dict[str, Any]], key: str, value: str) -> None:
    [cm] = [
        o
        for o in objs
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("wirestream-config")
    ]
    cm["data"][key] = value


Mutation = Callable[[list[dict[str, Any]]], None]
# Each way of losing the identity or the state, and what the check says about it.
MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "a Deployment": (_as_deployment, "must be a StatefulSet"),
    "state on an emptyDir": (_state_on_empty_dir, "not on a claim"),
    "datadir off the claim": (_datadir_off_the_claim, "not on a claim"),
    "the old 256Mi": (lambda objs: _claim(objs, "256Mi"), "a year of state"),
    "ordered start": (
        lambda objs: _sts(objs)["spec"].update(podManagementPolicy="OrderedReady"),
        "one by one",
    ),
    "no governing Service": (
        lambda objs: _sts(objs)["spec"].update(serviceName="nowhere"),
        "no Service nowhere",
    ),
    "one hostname for all": (lambda objs: _pod(objs).update(hostname="worker"), "same hostname"),
    "hostname as FQDN": (
        lambda objs: _pod(objs).update(setHostnameAsFQDN=True),
        "change with the Service",
    ),
    "host network": (lambda objs: _pod(objs).update(hostNetwork=True), "the node's"),
    "one member id for all": (
        lambda objs: _config(objs, "WIRE_WORKER_INSTANCE_ID", "worker"),
        "one id for every worker",
    ),
    "member id from a constant": (
        lambda objs: _env(objs).append({"name": "WIRE_WORKER_INSTANCE_ID", "value": "worker"}),
        "WIRE_WORKER_INSTANCE_ID",
    ),
    "more workers than partitions": (
        lambda objs: _sts(objs)["spec"].update(replicas=7),
        "replicas > 6 partitions",
    ),
    "claims deleted on scale-down": (
        lambda objs: _sts(objs)["spec"].update(
            persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"}
        ),
        "deleted on scale-down",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_statefulset_check_bites(mutation: str) -> None:
    """Each way of losing the identity or the state is refused (newsroom: 6 partitions)."""
    objs = copy.deepcopy(list(objects("newsroom")))
    check_worker_statefulset(objs, DISPATCHES_PER_DAY["newsroom"])
    mutate, message = MUTATIONS[mutation]
    mutate(objs)
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_worker_statefulset(objs, DISPATCHES_PER_DAY["newsroom"])


def test_a_member_id_from_the_pod_name_is_accepted() -> None:
    objs = copy.deepcopy(list(objects("newsroom")))
    _env(objs).append(
        {
            "name": "WIRE_WORKER_INSTANCE_ID",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
        }
    )
    check_worker_statefulset(objs, DISPATCHES_PER_DAY["newsroom"])


def test_the_aggregator_claim_holds_a_year_of_its_share_but_the_newsroom_one_would_not() -> None:
    """The size check follows the workload: the newsroom's 5Gi is too small for the
    aggregator's ~1M dispatches a day."""
    objs = copy.deepcopy(list(objects("aggregator")))
    check_worker_statefulset(objs, DISPATCHES_PER_DAY["aggregator"])
    _claim(objs, "5Gi")
    with pytest.raises(AssertionError, match="a year of state"):
        check_worker_statefulset(objs, DISPATCHES_PER_DAY["aggregator"])


def test_every_overlay_has_a_sizing() -> None:
    assert set(OVERLAYS) == set(DISPATCHES_PER_DAY)
