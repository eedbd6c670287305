"""deploy/compose.yaml, offline: the Compose Specification's JSON schema, then what the
schema cannot know (brokers, nodes, commands, settings, files, scrape targets)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.deploy.artifacts import (
    DEPLOY,
    check_wire,
    check_wire_environment,
    check_wire_or_skip,
    env_file,
    interpolate,
)

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "compose" / "env.example"


@cache
def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema (compose-spec/compose-spec, Apache-2.0) as the
    check-jsonschema package ships it, licence included."""
    vendor = files("check_jsonschema") / "builtin_schemas" / "vendor"
    assert (vendor / "licenses" / "LICENSE.compose-spec").is_file()
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return schema


def loaded(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose file as `docker compose config` sees it with the example .env."""
    text = interpolate(COMPOSE.read_text(), env if env is not None else env_file(ENV_EXAMPLE))
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def validator() -> jsonschema.Draft7Validator:
    # The schema names draft 7 ("https://json-schema.org/draft-07/schema", without the '#'
    # that jsonschema looks for), so the validator is chosen here.
    schema = compose_schema()
    assert "draft-07" in schema["$schema"]
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification() -> None:
    errors = sorted(validator().iter_errors(loaded()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_check_bites() -> None:
    """A misspelt key is refused: the check above is not vacuous."""
    bad = loaded()
    bad["services"]["worker-1"]["comand"] = ["wire", "worker"]
    assert list(validator().iter_errors(bad))


def test_required_variables_are_all_in_the_env_example() -> None:
    with pytest.raises(KeyError, match="ELASTIC_PASSWORD"):
        loaded({})
    loaded(env_file(ENV_EXAMPLE))  # nothing missing


def services() -> dict[str, Any]:
    s: dict[str, Any] = loaded()["services"]
    return s


def workers(svcs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The services running `wire worker`, in every profile."""
    svcs = services() if svcs is None else svcs
    return {n: s for n, s in svcs.items() if s.get("command", [""])[:2] == ["wire", "worker"]}


def test_kafka_is_three_kraft_brokers_replicating_three_ways() -> None:
    kafka = {n: s for n, s in services().items() if n.startswith("kafka-")}
    assert len(kafka) == 3
    ids = set()
    for name, svc in kafka.items():
        env = svc["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert {v.split("@")[1].split(":")[0] for v in voters} == set(kafka)
        assert str(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == "3"
        assert str(env["KAFKA_MIN_INSYNC_REPLICAS"]) == "2"
        assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "3"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        ids.add(env["KAFKA_NODE_ID"])
    assert len(ids) == 3


def test_elasticsearch_is_three_nodes_with_security_and_tls() -> None:
    nodes = {n: s for n, s in services().items() if n.startswith("es0")}
    assert set(nodes) == {"es01", "es02", "es03"}
    for name, svc in nodes.items():
        env = svc["environment"]
        assert env["node.name"] == name
        assert env["xpack.security.enabled"] == "true"
        assert env["xpack.security.http.ssl.enabled"] == "true"
        assert env["xpack.security.transport.ssl.enabled"] == "true"
        assert env["xpack.security.http.ssl.certificate"] == f"certs/{name}/{name}.crt"
        assert set(env["discovery.seed_hosts"].split(",")) == set(nodes)
    setup = (DEPLOY / "compose" / "es-setup.sh").read_text()
    for name in nodes:
        assert f"name: {name}," in setup  # a certificate for every node
    assert "/_security/api_key" in setup


def test_wirestream_services_talk_to_all_brokers_over_tls_with_an_api_key() -> None:
    svcs = services()
    for name in (*workers(), "api", "feeds"):
        env = svcs[name]["environment"]
        check_wire_environment(env, f"compose service {name}")
        assert env["WIRE_KAFKA_BOOTSTRAP"].split(",") == [f"kafka-{i}:9092" for i in (1, 2, 3)]
        assert str(env["WIRE_REPLICATION_FACTOR"]) == "3"
        assert env["WIRE_ES_URL"].startswith("https://")
        assert env["WIRE_ES_API_KEY_FILE"] == "/run/wire/es-api-key"
        assert svcs[name].get("read_only") is True


def test_every_wire_command_is_a_command_of_the_cli() -> None:
    commands = [s["command"] for s in services().values() if s.get("command", [""])[0] == "wire"]
    assert len(commands) == len(workers()) + 2  # the workers, api, feeds
    checked = [check_wire(argv) for argv in commands]
    assert checked.count(True) >= 2  # worker and api at least; feeds once it is merged


def test_feeds_command_is_a_command_of_the_cli() -> None:
    check_wire_or_skip(services()["feeds"]["command"])


def test_every_bind_mounted_file_exists() -> None:
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name}: {source} is missing"
    build = services()["worker-1"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()


def test_prometheus_scrapes_every_worker_and_the_api_where_they_listen() -> None:
    prom = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    [sd] = jobs["wirestream-worker"]["dns_sd_configs"]
    assert len(workers()) >= 2
    for svc in workers().values():  # one DNS name for all of them, each on the port scraped
        assert sd["names"] == svc["networks"]["default"]["aliases"]
        assert sd["port"] == int(svc["command"][svc["command"].index("--web-port") + 1])
    assert jobs["wirestream-api"]["static_configs"][0]["targets"] == ["api:8000"]


def test_grafana_is_provisioned_with_the_dashboard() -> None:
    grafana = services()["grafana"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in grafana["volumes"]}
    dashboard_dir = mounts["./grafana/wirestream.json"].rsplit("/", 1)[0]
    provider = yaml.safe_load(
        (DEPLOY / "compose/grafana/provisioning/dashboards/wirestream.yaml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == dashboard_dir
    datasource = yaml.safe_load(
        (DEPLOY / "compose/grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    uids = {d["uid"] for d in datasource["datasources"]}
    dashboard = json.loads((DEPLOY / "grafana" / "wirestream.json").read_text())
    used = {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p}
    assert used <= uids


def check_workers(compose: dict[str, Any], raw_partitions: int) -> None:
    """Each worker keeps its static group member id (`<hostname>-<web port>`,
    pipeline/kafka/membership.py) and its RocksDB datadir (WIRE_WORKER_DATADIR) across
    restarts and recreations: a hostname of its own, a named volume of its own under the
    datadir, one container (replicas would share both); never more than the partitions."""
    svcs = compose["services"]
    found = workers(svcs)
    assert len([s for s in found.values() if not s.get("profiles")]) >= 2, "two by default"
    assert len(found) <= raw_partitions, f"{len(found)} workers > {raw_partitions} partitions"
    hostnames: dict[str, str] = {}
    volumes: dict[str, str] = {}
    for name, svc in found.items():
        assert int(svc.get("deploy", {}).get("replicas", 1)) == 1, f"{name}: replicas share it"
        assert "scale" not in svc, f"{name}: scaled containers share it"
        hostname = svc.get("hostname")
        assert hostname, f"{name}: no hostname (a new one each time it is recreated)"
        assert hostname not in hostnames, f"{name}: hostname of {hostnames.get(hostname)}"
        hostnames[hostname] = name
        datadir = svc["environment"].get("WIRE_WORKER_DATADIR", "")
        assert datadir.startswith("/"), f"{name}: WIRE_WORKER_DATADIR {datadir!r}"
        # short syntax: SOURCE:TARGET[:MODE], or TARGET alone (an anonymous volume)
        mounts = [v.split(":") if ":" in v else ["", v] for v in svc.get("volumes", [])]
        on = [m for m in mounts if (datadir + "/").startswith(m[1].rstrip("/") + "/")]
        assert on, f"{name}: {datadir} is on no volume"
        source, target, *mode = max(on, key=lambda m: len(m[1]))
        assert source in compose.get("volumes", {}), f"{name}: {datadir} not on a named volume"
        assert "ro" not in mode, f"{name}: {target} read-only"
        assert source not in volumes, f"{name}: shares {source} with {volumes.get(source)}"
        volumes[source] = name
        tmpfs = svc.get("tmpfs", [])
        assert not any(
            (datadir + "/").startswith(str(t).split(":")[0].rstrip("/") + "/") for t in tmpfs
        ), f"{name}: {datadir} under a tmpfs"
    for other, svc in svcs.items():  # nobody else mounts a worker's volume
        if other not in found:
            for v in svc.get("volumes", []):
                assert v.split(":")[0] not in volumes, f"{other} mounts {v}"


def test_each_worker_has_its_own_hostname_and_state_volume() -> None:
    check_workers(loaded(), int(env_file(ENV_EXAMPLE)["WIRE_RAW_PARTITIONS"]))


def _worker(compose: dict[str, Any], n: int = 2) -> dict[str, Any]:
    svc: dict[str, Any] = compose["services"][f"worker-{n}"]
    return svc


def _replicated(compose: dict[str, Any]) -> None:
    _worker(compose)["deploy"]["replicas"] = 3


def _same_hostname(compose: dict[str, Any]) -> None:
    _worker(compose)["hostname"] = "worker-1"


def _no_hostname(compose: dict[str, Any]) -> None:
    del _worker(compose)["hostname"]


def _shared_volume(compose: dict[str, Any]) -> None:
    _worker(compose)["volumes"][-1] = "worker-1:/var/lib/wirestream"


def _state_on_tmpfs(compose: dict[str, Any]) -> None:
    _worker(compose)["volumes"].pop()
    _worker(compose)["tmpfs"] = ["/tmp", "/var/lib/wirestream"]


def _state_on_an_anonymous_volume(compose: dict[str, Any]) -> None:
    _worker(compose)["volumes"][-1] = "/var/lib/wirestream"


def _datadir_elsewhere(compose: dict[str, Any]) -> None:
    _worker(compose)["environment"]["WIRE_WORKER_DATADIR"] = "/tmp/worker"


def _one_worker(compose: dict[str, Any]) -> None:
    _worker(compose)["profiles"] = ["more-workers"]


COMPOSE_MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "replicas": (_replicated, "replicas share it"),
    "same hostname": (_same_hostname, "hostname of worker-1"),
    "no hostname": (_no_hostname, "no hostname"),
    "shared volume": (_shared_volume, "shares worker-1"),
    "state on a tmpfs": (_state_on_tmpfs, "is on no volume"),
    "anonymous volume": (_state_on_an_anonymous_volume, "not on a named volume"),
    "datadir elsewhere": (_datadir_elsewhere, "is on no volume"),
    "one worker by default": (_one_worker, "two by default"),
}


@pytest.mark.parametrize("mutation", sorted(COMPOSE_MUTATIONS))
def test_the_worker_check_bites(mutation: str) -> None:
    compose = copy.deepcopy(loaded())
    check_workers(compose, 12)
    mutate, message = COMPOSE_MUTATIONS[mutation]
    mutate(compose)
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_workers(compose, 12)
    with pytest.raises(AssertionError, match="4 workers > 3 partitions"):
        check_workers(copy.deepcopy(loaded()), 3)
