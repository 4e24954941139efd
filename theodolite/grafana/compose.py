"""The docker-compose example of `theodolite grafana export` and what it mounts besides the
provisioning tree: the PostgreSQL init script that creates Grafana's read-only login.

Grafana's PostgreSQL datasource logs in as `grafana_reader`, a role with SELECT on the tables
dashboards read (traces, observations, scores, projects) and nothing else: not api_keys, not the
prices, not observation_payloads (inputs and outputs). The postgres image runs the script once, on
its first start and before Theodolite has created any table (Theodolite migrates when it starts),
so the script grants those tables now if they exist and, through an event trigger, when they are
created. The role's sessions are read-only as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from theodolite.grafana.infinity import API_KEY_ENV, INFINITY_TYPE

READER_ROLE = "grafana_reader"
READER_TABLES = ("traces", "observations", "scores", "projects")
INITDB_SCRIPT = "postgres/initdb/10-grafana-reader.sql"
GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards/theodolite"
METRICS_TOKEN_FILE = "metrics-token"  # next to prometheus.yml, which resolves it relative to itself
DATABASE = {"user": "theodolite", "password": "theodolite", "name": "theodolite"}
THEODOLITE_URL = "http://theodolite:4318"  # the theodolite service, as Grafana reaches it


def reader_init_sql(password: str) -> str:
    """The init script. `password` is a generated token (letters, digits, - and _)."""
    if not password.replace("-", "").replace("_", "").isalnum():
        raise ValueError("the reader password must be letters, digits, '-' or '_'")
    tables = ", ".join(f"'public.{table}'" for table in READER_TABLES)
    names = ", ".join(f"'{table}'" for table in READER_TABLES)
    return f"""\
-- Grafana's read-only login on Theodolite's database (written by `theodolite grafana export`).
-- SELECT on {", ".join(READER_TABLES)} only; run once by the postgres image's entrypoint, and safe to
-- run again by hand (psql -f) on a database Theodolite already uses.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
    CREATE ROLE {READER_ROLE} LOGIN PASSWORD '{password}';
  ELSE
    ALTER ROLE {READER_ROLE} LOGIN PASSWORD '{password}';
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO {READER_ROLE}', current_database());
END $$;
ALTER ROLE {READER_ROLE} SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public TO {READER_ROLE};

-- The tables that exist already.
DO $$
DECLARE name text;
BEGIN
  FOREACH name IN ARRAY ARRAY[{names}] LOOP
    IF to_regclass('public.' || name) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT ON public.%I TO {READER_ROLE}', name);
    END IF;
  END LOOP;
END $$;

-- The same tables when Theodolite's migrations create them (after this script, on its first start).
CREATE OR REPLACE FUNCTION theodolite_grant_{READER_ROLE}() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE created record;
BEGIN
  FOR created IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
    IF created.object_identity IN ({tables}) THEN
      EXECUTE format('GRANT SELECT ON %s TO {READER_ROLE}', created.object_identity);
    END IF;
  END LOOP;
END $$;
DROP EVENT TRIGGER IF EXISTS theodolite_{READER_ROLE}_grants;
CREATE EVENT TRIGGER theodolite_{READER_ROLE}_grants ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION theodolite_grant_{READER_ROLE}();
"""


def source_checkout() -> str | None:
    """The checkout Theodolite runs from (an editable install), as the image's build context."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "theodolite"' in pyproject.read_text():
        return str(root)
    return None


def compose(metrics_token: str, reader_password: str, api_key: str, build_context: str | None = None) -> dict[str, Any]:
    """Grafana + Prometheus + Alertmanager + PostgreSQL + Theodolite. Service names and ports are
    the ones the provisioned datasources and the Prometheus config use. Theodolite waits for
    PostgreSQL to be ready (its init script has run by then) before it migrates. `api_key` is the
    project key Theodolite creates on its first start and Grafana's Infinity datasource sends."""
    db = DATABASE
    return {
        "services": {
            "theodolite": {
                "build": {"context": build_context or "REPLACE-WITH-A-THEODOLITE-CHECKOUT", "dockerfile_inline":
                          "FROM python:3.11-slim\nCOPY . /src\nRUN pip install '/src[server]'\n"
                          "CMD [\"theodolite\", \"serve\", \"--host\", \"0.0.0.0\"]\n"},
                "environment": {
                    "THEODOLITE_DATABASE_URL": f"postgresql://{db['user']}:{db['password']}@postgres:5432/{db['name']}",
                    "THEODOLITE_INIT_PROJECT": "default", "THEODOLITE_INIT_PUBLIC_KEY": "pk-th-compose",
                    "THEODOLITE_INIT_SECRET_KEY": api_key,
                    # Prometheus scrapes from another container, so /metrics needs the token.
                    "THEODOLITE_METRICS_TOKEN": metrics_token,
                },
                "ports": ["4318:4318"], "depends_on": {"postgres": {"condition": "service_healthy"}},
                "restart": "unless-stopped",
            },
            "postgres": {
                "image": "postgres:15",
                "environment": {"POSTGRES_USER": db["user"], "POSTGRES_PASSWORD": db["password"],
                                "POSTGRES_DB": db["name"]},
                "volumes": ["./postgres/initdb:/docker-entrypoint-initdb.d:ro"],
                "healthcheck": {"test": ["CMD-SHELL", f"pg_isready -h 127.0.0.1 -U {db['user']} -d {db['name']}"],
                                "interval": "2s", "timeout": "5s", "retries": 30},
            },
            "prometheus": {"image": "prom/prometheus:v2.53.0", "volumes": ["./prometheus:/etc/prometheus:ro"],
                           "ports": ["9090:9090"]},
            "alertmanager": {"image": "prom/alertmanager:v0.27.0", "volumes": [
                "./prometheus/alertmanager.example.yml:/etc/alertmanager/alertmanager.yml:ro"]},
            "grafana": {"image": "grafana/grafana:11.6.0", "ports": ["3000:3000"],
                        "environment": {"THEODOLITE_GRAFANA_DB_PASSWORD": reader_password,
                                        API_KEY_ENV: api_key, "GF_INSTALL_PLUGINS": INFINITY_TYPE},
                        "volumes": ["./grafana/provisioning:/etc/grafana/provisioning:ro",
                                    f"./grafana/dashboards:{GRAFANA_DASHBOARDS_DIR}:ro"],
                        "depends_on": ["postgres", "prometheus", "theodolite"]},
        },
    }  # fmt: skip
