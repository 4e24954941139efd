"""The ClickHouse cluster example (deploy/clickhouse) checked for structure: it cannot run here (no
Docker), so every fact that ties its files together is checked instead: they parse, each replica's
macros are its own, the cluster lists exactly the compose's servers, the keepers are the compose's
keepers, and every system log table has a retention."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from theodolite.storage.clickhouse.schema import REPLICA_PATH, schema_statements

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse"
CLUSTER = "theodolite"
# The system log tables ClickHouse's default server configuration (25.x) writes: each needs a TTL.
SYSTEM_LOGS = {
    "query_log", "query_thread_log", "query_views_log", "query_metric_log", "part_log", "trace_log",
    "text_log", "metric_log", "asynchronous_metric_log", "latency_log", "error_log",
    "processors_profile_log", "asynchronous_insert_log", "opentelemetry_span_log", "crash_log",
    "backup_log", "s3queue_log", "blob_storage_log",
}  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _services(compose: dict[str, Any], image: str) -> dict[str, Any]:
    return {name: spec for name, spec in compose["services"].items() if spec["image"].startswith(image)}


def _mounts(spec: dict[str, Any]) -> dict[str, Path]:
    """Container path -> the repository file mounted there."""
    mounts = {}
    for volume in spec["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            mounts[target] = DEPLOY / source
    return mounts


def _xml(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_every_file_parses_and_every_mount_exists(compose: dict[str, Any]) -> None:
    xml_files = sorted(DEPLOY.rglob("*.xml"))
    assert len(xml_files) >= 10
    for path in xml_files:
        assert _xml(path).tag == "clickhouse", path
    mounted = set()
    for name, spec in compose["services"].items():
        for target, source in _mounts(spec).items():
            assert source.is_file(), (name, target, source)
            mounted.add(source)
    assert mounted == set(xml_files)  # no file left unused, none missing


def test_two_shards_of_two_replicas_each_with_its_own_macros(compose: dict[str, Any]) -> None:
    servers = _services(compose, "clickhouse/clickhouse-server")
    assert len(servers) == 4
    places = {}
    for name, spec in servers.items():
        macros = _xml(_mounts(spec)["/etc/clickhouse-server/config.d/macros.xml"]).find("macros")
        assert macros is not None, name
        places[name] = (macros.findtext("shard"), macros.findtext("replica"))
        assert macros.findtext("replica") == spec["hostname"] == name
    assert len(set(places.values())) == 4, places  # unique {shard}/{replica}: no two replicas share a path
    shards = sorted(shard for shard, _ in places.values())
    assert shards == ["01", "01", "02", "02"]
    # The schema's replicated tables are keyed by the macros every server defines.
    assert "{shard}" in REPLICA_PATH and all(shard and replica for shard, replica in places.values())


def test_remote_servers_list_exactly_the_compose_servers_by_shard(compose: dict[str, Any]) -> None:
    servers = _services(compose, "clickhouse/clickhouse-server")
    cluster = _xml(DEPLOY / "config/config.d/cluster.xml").find(f"remote_servers/{CLUSTER}")
    assert cluster is not None
    listed = []
    for shard in cluster.findall("shard"):
        assert shard.findtext("internal_replication") == "true"
        hosts = [replica.findtext("host") for replica in shard.findall("replica")]
        # The replicas of one shard in remote_servers share one {shard} macro.
        shard_macros = {
            _xml(_mounts(servers[host])["/etc/clickhouse-server/config.d/macros.xml"]).findtext("macros/shard")
            for host in hosts
        }
        assert len(shard_macros) == 1, hosts
        listed += hosts
    assert sorted(listed) == sorted(servers)
    # Every server mounts the same cluster file, and the schema's cluster DDL names this cluster.
    assert {_mounts(spec)["/etc/clickhouse-server/config.d/cluster.xml"] for spec in servers.values()} == {
        DEPLOY / "config/config.d/cluster.xml"
    }
    assert all(f"ON CLUSTER `{CLUSTER}`" in s for s in schema_statements(cluster=CLUSTER))


def test_keepers_are_compose_services_and_agree_on_the_ensemble(compose: dict[str, Any]) -> None:
    keepers = _services(compose, "clickhouse/clickhouse-keeper")
    assert len(keepers) == 3  # a Raft quorum that survives one keeper
    nodes = _xml(DEPLOY / "config/config.d/cluster.xml").findall("zookeeper/node")
    ids = set()
    for name, spec in keepers.items():
        config = _xml(_mounts(spec)["/etc/clickhouse-keeper/keeper_config.xml"]).find("keeper_server")
        assert config is not None
        ensemble = {
            server.findtext("hostname"): server.findtext("id") for server in config.findall("raft_configuration/server")
        }
        assert set(ensemble) == set(keepers), name
        assert ensemble[name] == config.findtext("server_id"), name  # each keeper is itself in the ensemble
        ids.add(config.findtext("server_id"))
        assert {(node.findtext("host"), node.findtext("port")) for node in nodes if node.findtext("host") == name} == {
            (name, config.findtext("tcp_port"))
        }
    assert len(ids) == 3
    assert sorted(node.findtext("host") for node in nodes) == sorted(keepers)
    for spec in _services(compose, "clickhouse/clickhouse-server").values():
        assert set(keepers) <= set(spec["depends_on"])


def test_every_system_log_has_a_ttl() -> None:
    root = _xml(DEPLOY / "config/config.d/system-logs.xml")
    configured = {}
    for section in root:
        engine, ttl = section.findtext("engine"), section.findtext("ttl")
        if engine is not None:
            # ClickHouse refuses partition_by/ttl beside a whole engine clause: the TTL goes inside it.
            assert section.find("partition_by") is None and ttl is None, section.tag
            assert " TTL " in engine, section.tag
            ttl = engine.split(" TTL ", 1)[1]
        assert ttl and "INTERVAL" in ttl and "DELETE" in ttl, section.tag
        assert section.findtext("table") == section.tag
        configured[section.tag] = ttl
    assert set(configured) >= SYSTEM_LOGS, SYSTEM_LOGS - set(configured)


# Loads the example's files into embedded ClickHouse, as a server's /etc/clickhouse-server would hold
# them, and reports what the engine made of them. In a child process: the engine's configuration is
# per process. The base users.xml stands for the image's own (a `default` user and profile).
LOAD_CHILD = """
import json, os, sys
import chdb
conn = chdb.connect(f"{sys.argv[1]}?config-file={sys.argv[2]}")
conn.query("SYSTEM FLUSH LOGS")
def rows(sql):
    return json.loads(str(conn.query(sql, "JSONCompact")))["data"]
print(json.dumps({
    "clusters": rows("SELECT shard_num, replica_num, host_name FROM system.clusters WHERE cluster = 'theodolite'"),
    "macros": rows("SELECT macro, substitution FROM system.macros"),
    "logs": rows("SELECT name, engine_full FROM system.tables WHERE database = 'system' AND engine = 'MergeTree'"),
    "disks": rows("SELECT name, keep_free_space FROM system.disks"),
    "users": rows("SELECT name, auth_type FROM system.users"),
    "grants": str(conn.query("SHOW GRANTS FOR theodolite", "TSV")).splitlines(),
    "profile": rows(
        "SELECT setting_name, value FROM system.settings_profile_elements WHERE profile_name = 'theodolite'"
    ),
}), flush=True)
os._exit(0)
"""
BASE_USERS = """<clickhouse>
    <profiles><default/></profiles>
    <users><default><no_password/><profile>default</profile><quota>default</quota>
        <access_management>1</access_management></default></users>
    <quotas><default/></quotas>
</clickhouse>
"""


def test_clickhouse_loads_the_configuration_as_intended(tmp_path: Path) -> None:
    pytest.importorskip("chdb", reason="embedded ClickHouse (chdb) is not installed")
    etc = tmp_path / "etc"
    (etc / "config.d").mkdir(parents=True)
    (etc / "users.d").mkdir()
    (etc / "config.xml").write_text(f"<clickhouse><users_config>{etc / 'users.xml'}</users_config></clickhouse>")
    (etc / "users.xml").write_text(BASE_USERS)
    for name in ("server.xml", "cluster.xml", "system-logs.xml"):
        shutil.copy(DEPLOY / "config/config.d" / name, etc / "config.d" / name)
    shutil.copy(DEPLOY / "config/macros/clickhouse-s2r1.xml", etc / "config.d/macros.xml")
    shutil.copy(DEPLOY / "config/users.d/theodolite.xml", etc / "users.d/theodolite.xml")
    env = {**os.environ, "THEODOLITE_CLICKHOUSE_PASSWORD": "test", "THEODOLITE_CLUSTER_SECRET": "test"}
    child = subprocess.run(
        [sys.executable, "-c", LOAD_CHILD, str(tmp_path / "data"), str(etc / "config.xml")],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert sorted(found["clusters"]) == [
        [1, 1, "clickhouse-s1r1"],
        [1, 2, "clickhouse-s1r2"],
        [2, 1, "clickhouse-s2r1"],
        [2, 2, "clickhouse-s2r2"],
    ]
    assert dict(found["macros"]) == {"cluster": "theodolite", "shard": "02", "replica": "clickhouse-s2r1"}
    # Every system log table the engine created (from these sections) has a TTL.
    logs = dict(found["logs"])
    assert len(logs) >= 15 and {"query_log", "trace_log", "metric_log", "asynchronous_metric_log"} <= set(logs)
    assert [name for name, engine in logs.items() if " TTL " not in engine] == []
    assert dict(found["disks"])["default"] == 5 * 2**30
    assert ["theodolite", ["plaintext_password"]] in found["users"]
    # Its own database and the cluster, no access management.
    assert any(
        g.startswith("GRANT ") and "INSERT" in g and g.endswith("ON theodolite.* TO theodolite")
        for g in found["grants"]
    )
    assert not any("USER" in g or "ROLE" in g for g in found["grants"]), found["grants"]
    profile = dict(found["profile"])
    assert profile["async_insert"] == profile["wait_for_async_insert"] == "1"
    assert int(profile["max_memory_usage"]) == 2 * 2**30
