"""What Grafana and the Infinity datasource do to a query before and after it reaches the API, so
tests can run the shipped queries without a Grafana server (none is packaged here):

1. Grafana's frontend interpolates template variables in `url` and in every `url_options.params`
   value, Infinity asking for the `glob` format unless the reference names one (`${var:csv}`).
   A multi-value variable set to "All" is its custom `allValue` when it has one (formatted raw),
   else the list of every option's value.
2. Infinity's backend interpolates its time macros: `${__timeFrom}`/`${__timeTo}` are the query's
   range in epoch milliseconds (an alert rule's relative range, a panel's time override).
3. The URL is the datasource's URL + the query's path (unless the path already starts with it);
   params are added to its query string, which Go's url.Values encodes (keys sorted).
4. The response is parsed by the backend parser: the root selector (JSONata), then each column's
   selector read from each row, named by its `text`; a time series is made wide by time.

Written from Infinity's pkg/models/macros.go, pkg/infinity/request.go (GetQueryURL), the frontend's
interpolate.ts and Grafana's template_srv.ts / formatRegistry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

# $name, ${name} and ${name:format}, as Grafana's variable regex reads them.
VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::([^}]+))?\}")
ALL = "$__all"
TIME_MACRO = re.compile(r"\$\{__time(From|To)\}")
TYPES = {"string": (str,), "number": (int, float), "timestamp_epoch": (int,), "boolean": (bool,)}


@dataclass(frozen=True)
class Variable:
    """A dashboard's query variable with its options (as listed by its own query)."""

    name: str
    options: tuple[str, ...]
    multi: bool
    include_all: bool
    all_value: str | None


def _format(value: str | list[str], fmt: str) -> str:
    if isinstance(value, str):
        return value
    if fmt == "csv":
        return ",".join(value)
    if fmt == "glob":
        return "{" + ",".join(value) + "}" if len(value) > 1 else "".join(value)
    if fmt == "raw":
        return ",".join(value)
    raise ValueError(f"format {fmt!r} is not emulated")


def interpolate(text: str, variables: dict[str, Variable], selected: dict[str, list[str]], fmt: str = "glob") -> str:
    """Grafana's templateSrv.replace(text, {}, fmt). `selected` is each variable's current value:
    a list of option values, or [ALL]. Built-ins it does not know (`${__timeFrom}`) stay as they
    are, for the datasource's backend; an unknown dashboard variable is an error here (Grafana
    would leave it in the URL)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name.startswith("__"):
            return match.group(0)
        if name not in variables:
            raise KeyError(f"${name} is not a variable of the dashboard")
        variable, value = variables[name], selected[name]
        own = match.group(3) or fmt
        if value == [ALL]:
            if variable.all_value:  # a custom all value is used as it is
                return variable.all_value
            return _format(list(variable.options), own)
        return _format(value if variable.multi else value[0], own)

    return VARIABLE.sub(replace, text)


def expand_time(text: str, start: datetime, end: datetime) -> str:
    """Infinity's backend macros for the range (epoch milliseconds); other `${__…}` are refused."""
    text = TIME_MACRO.sub(lambda m: str(int((start if m.group(1) == "From" else end).timestamp() * 1000)), text)
    if "${__" in text or "$__" in text:
        raise ValueError(f"a macro this emulation does not know is left in {text!r}")
    return text


def request_url(base_url: str, target: dict[str, Any], variables: dict[str, Variable],
                selected: dict[str, list[str]], start: datetime, end: datetime) -> str:  # fmt: skip
    """The URL Infinity's backend GETs for `target` (its query model, as in the dashboard)."""
    assert (target.get("url_options") or {}).get("method", "GET") == "GET"
    url = expand_time(interpolate(target["url"], variables, selected), start, end)
    if not url.startswith(base_url):
        url = base_url + url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for param in (target.get("url_options") or {}).get("params") or []:
        value = expand_time(interpolate(param["value"], variables, selected), start, end)
        query.append((param["key"], value))
    encoded = urlencode(sorted(query, key=lambda pair: pair[0]), quote_via=quote_plus)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, encoded, ""))


def _typed(value: Any, kind: str) -> bool:
    if value is None:
        return kind != "timestamp_epoch"  # a row without a time cannot be placed
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, TYPES[kind]) and not isinstance(value, bool)


def frame(body: Any, target: dict[str, Any]) -> list[dict[str, Any]]:
    """The backend parser's rows: the root selector, then each declared column by its selector.
    Raises AssertionError when a row lacks a declared column or holds a value of another type
    (null is allowed: Infinity keeps it as a null cell)."""
    assert target["root_selector"] == "$", "only JSONata's context `$` is emulated"
    assert isinstance(body, list) and all(isinstance(row, dict) for row in body), body
    rows = []
    for row in body:
        out = {}
        for column in target["columns"]:
            selector = column["selector"]
            assert re.fullmatch(r"\w+", selector), f"selector {selector!r} is more than a key"
            assert selector in row, f"column {selector!r} missing from {row}"
            value = row[selector]
            assert _typed(value, column["type"]), f"column {selector!r} is {column['type']}, the row has {value!r}"
            out[column["text"]] = value
        rows.append(out)
    if target.get("format") == "timeseries":
        _check_long_series(rows, target["columns"])
    return rows


def _check_long_series(rows: list[dict[str, Any]], columns: list[dict[str, str]]) -> None:
    """Infinity turns a long time series (time, labels..., values) into wide frames with the SDK's
    LongToWide, which needs rows sorted by time and one row per time and label set."""
    [time] = [c["text"] for c in columns if c["type"] == "timestamp_epoch"]
    labels = [c["text"] for c in columns if c["type"] == "string"]
    times = [row[time] for row in rows]
    assert times == sorted(times), "a time series' rows must come in time order"
    keys = [(row[time], *(row[label] for label in labels)) for row in rows]
    assert len(keys) == len(set(keys)), "two rows of a time series share a time and labels"
