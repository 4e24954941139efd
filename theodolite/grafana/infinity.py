"""The Infinity datasource (yesoreyeram-infinity-datasource) on Theodolite's analytics API
(docs/analytics-api.md): its provisioning, its query model and the template variables built on it.

Every query uses Infinity's **backend** parser (JSONata): only the backend parsers run inside
Grafana's server, which is what alerting, recorded queries, public dashboards and query caching
need; the default, UQL and GROQ parsers run in the browser. The time range comes from Infinity's
`${__timeFrom}`/`${__timeTo}` (epoch milliseconds, interpolated in the backend, so panel time
overrides and alert rules get theirs); Grafana's `${__from}` is frontend-only.

Filters from template variables go into `url_options.params`, not into the URL: Infinity's
backend URL-encodes params (a user id with `&` or `#` stays one value), and `${var:csv}` joins a
multi-value selection with commas, which the API reads as "any of them". "All" is the custom all
value `*`, which the API reads as "no filter": Grafana sends every listed option for "All" when
`allValue` is empty, which would drop rows without a value (a trace with no user) and rows
outside the variable's own 30-day list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh, VariableSort

INFINITY_TYPE = "yesoreyeram-infinity-datasource"
INFINITY_UID = "theodolite-infinity"
INFINITY = DataSourceRef(type_val=INFINITY_TYPE, uid=INFINITY_UID)
ANALYTICS_PATH = "/api/v1/analytics/"
# JSONata's context: the API already answers a flat array of rows, so the root is the whole body.
ROOT_SELECTOR = "$"
TIME_RANGE = "from=${__timeFrom}&to=${__timeTo}"
ALL_TIME = "from=0&to=${__timeTo}"  # everything stored until the range's end
ALL_VALUE = "*"  # the API reads `*` as "no filter" (docs/analytics-api.md)
API_KEY_ENV = "THEODOLITE_GRAFANA_API_KEY"  # Grafana expands it in the datasource provisioning file


@dataclass(frozen=True)
class Column:
    """One typed column of an Infinity frame: `selector` is the row's key, `text` the field's name."""

    selector: str
    type: str = "number"  # string | number | timestamp_epoch (ms) | boolean
    text: str = ""

    def to_json(self) -> dict[str, str]:
        return {"selector": self.selector, "text": self.text or self.selector, "type": self.type}


TIME = Column("time", "timestamp_epoch")
# The value column's field name, which legends show (with the group: "cost gpt-4o-mini").
LABELS = {"trace_count": "traces", "observation_count": "observations", "total_tokens": "tokens",
          "input_tokens": "input tokens", "output_tokens": "output tokens", "error_rate": "error rate"}  # fmt: skip


def value_of(measure: str) -> Column:
    return Column("value", text=LABELS.get(measure, measure))


class InfinityDataquery(cogvariants.Dataquery):
    """An Infinity JSON query over HTTP (the plugin's query model: type, source, parser, url,
    url_options, root_selector, columns, format); grafana-foundation-sdk has no builder for it."""

    def __init__(self, url: str, params: dict[str, str], columns: tuple[Column, ...], fmt: str, ref_id: str) -> None:
        self.url, self.params, self.columns, self.format, self.ref_id = url, params, columns, fmt, ref_id

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id, "datasource": {"type": INFINITY.type_val, "uid": INFINITY.uid},
            "type": "json", "source": "url", "parser": "backend", "format": self.format, "url": self.url,
            "url_options": {"method": "GET", "data": "",
                            "params": [{"key": key, "value": value} for key, value in self.params.items()]},
            "root_selector": ROOT_SELECTOR, "columns": [column.to_json() for column in self.columns],
            "filters": [], "computed_columns": [],
        }  # fmt: skip


class Analytics(cogbuilder.Builder[InfinityDataquery]):
    """A query of `/api/v1/analytics/<route>` over the panel's (or the alert's) time range.

    `query` holds the fixed parameters (in the URL), `filters` maps API filters to the template
    variables that set them (`{"model": "model"}`), `columns` the typed columns the panel reads.
    """

    def __init__(self, route: str, query: dict[str, str | int], columns: tuple[Column, ...], *,
                 fmt: str = "table", filters: dict[str, str] | None = None, ref_id: str = "A",
                 all_time: bool = False) -> None:  # fmt: skip
        fixed = urlencode(query, safe=",")
        url = f"{ANALYTICS_PATH}{route}?{fixed + '&' if fixed else ''}{ALL_TIME if all_time else TIME_RANGE}"
        params = {api: f"${{{variable}:csv}}" for api, variable in (filters or {}).items()}
        self._internal = InfinityDataquery(url, params, columns, fmt, ref_id)

    def build(self) -> InfinityDataquery:
        return self._internal


def metrics(measure: str, *, aggregation: str = "sum", interval: str = "auto", group_by: str = "",
            columns: tuple[Column, ...] = (), fmt: str = "", filters: dict[str, str] | None = None,
            ref_id: str = "A", all_time: bool = False, **extra: str) -> Analytics:  # fmt: skip
    """`/metrics`: one measure over time (or `interval="total"`), grouped by up to two dimensions.
    By default the columns are time, the groups and value, as a time series (a table for totals)."""
    query: dict[str, str | int] = {"measure": measure, "aggregation": aggregation, "interval": interval, **extra}
    groups = tuple(group for group in group_by.split(",") if group)
    if groups:
        query["group_by"] = ",".join(groups)
    if not columns:
        columns = (TIME, *(Column(group, "string") for group in groups), value_of(measure))
    fmt = fmt or ("table" if interval == "total" else "timeseries")
    return Analytics("metrics", query, columns, fmt=fmt, filters=filters, ref_id=ref_id, all_time=all_time)


def variable(name: str, kind: str, label: str) -> dashboard.QueryVariable:
    """A multi-value variable listing `/variables/<kind>` (most used first), "All" meaning no filter.
    Infinity names a variable's text and value by the `__text`/`__value` columns."""
    columns = (Column("text", "string", "__text"), Column("value", "string", "__value"))
    query = Analytics(f"variables/{kind}", {}, columns, ref_id="variable").build().to_json()
    return (
        dashboard.QueryVariable(name).label(label).datasource(INFINITY)
        .query({"queryType": "infinity", "query": "", "refId": "variable", "infinityQuery": query})
        .multi(True).include_all(True).all_value(ALL_VALUE)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.DISABLED)
    )  # fmt: skip


def datasource(theodolite_url: str) -> dict[str, Any]:
    """The provisioned datasource: Theodolite's URL as the base of every query's path, the project
    key as a bearer token from Grafana's environment (never in a dashboard), and the URL as the
    only host its queries may reach."""
    url = theodolite_url.rstrip("/")
    return {
        "name": "Theodolite API",
        "uid": INFINITY_UID,
        "type": INFINITY_TYPE,
        "access": "proxy",
        "url": url,
        "jsonData": {
            "auth_method": "bearerToken",
            "allowedHosts": [url],
            # "Save & test" calls a route that needs the key, so a wrong key shows there.
            "customHealthCheckEnabled": True,
            "customHealthCheckUrl": f"{url}{ANALYTICS_PATH}project",
        },
        "secureJsonData": {"bearerToken": f"${{{API_KEY_ENV}}}"},
    }
