// /compare?a={trace}&b={trace}[&row={row}]: two traces side by side. Their observation trees are
// aligned (align.ts), each pair's input and output diffed (diffText.ts, jsdiff), and tokens, cost
// and latency set against each other. Everything the view shows is in its URL.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { apiRequest } from "../api/client";
import type { ObservationNode, TraceDetail } from "../api/types";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { ErrorBanner, Spinner } from "../components/states";
import { usePageKeys } from "../components/usePageKeys";
import { formatTimestamp } from "../format";
import { alignTrees, countNodes, firstObservations, type AlignedRow } from "./align";
import { DiffView } from "./DiffView";
import { readable } from "./diffText";
import { formatDelta, formatValue, observationMetrics, traceMetrics, type MetricRow } from "./metrics";
import "./compare.css";

/** Observations compared per trace: the aligned tree and its diffs stay quick to render. */
export const MAX_COMPARED_OBSERVATIONS = 300;

function useTrace(project: string | null, id: string) {
  return useQuery({
    queryKey: ["compare-trace", project, id],
    queryFn: ({ signal }) => apiRequest<TraceDetail>(`/api/v1/traces/${encodeURIComponent(id)}`, { signal }),
    enabled: project !== null && id !== "",
  });
}

function MetricsTable({ rows, label }: { rows: MetricRow[]; label: string }) {
  return (
    <table className="compare-metrics" aria-label={label}>
      <thead>
        <tr>
          <th />
          <th className="numeric">A</th>
          <th className="numeric">B</th>
          <th className="numeric">B − A</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label} data-testid={`metric-${row.label.toLowerCase().replace(/ /g, "-")}`}>
            <th scope="row">{row.label}</th>
            <td className="numeric">{formatValue(row, "a")}</td>
            <td className="numeric">{formatValue(row, "b")}</td>
            <td
              className={`numeric delta ${row.delta !== null && row.delta > 0 ? "delta-up" : row.delta !== null && row.delta < 0 ? "delta-down" : ""}`}
            >
              {formatDelta(row)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const sameText = new WeakMap<ObservationNode, string>();
function ioText(node: ObservationNode): string {
  let text = sameText.get(node);
  if (text === undefined) {
    text = `${readable(node.input)}\u0000${readable(node.output)}`;
    sameText.set(node, text);
  }
  return text;
}

function rowState(row: AlignedRow): "same" | "differs" | "only-a" | "only-b" {
  if (row.a === null) return "only-b";
  if (row.b === null) return "only-a";
  return ioText(row.a) === ioText(row.b) ? "same" : "differs";
}

const STATE_TEXT = { same: "=", differs: "≠", "only-a": "A only", "only-b": "B only" } as const;

function NodeCell({ node }: { node: ObservationNode | null }) {
  if (node === null) return <span className="muted">—</span>;
  return (
    <span className="compare-node">
      <span className={`obs-type obs-${node.type.toLowerCase()}`}>{node.type}</span> {node.name ?? "(unnamed)"}
      {node.model ? <span className="muted"> · {node.model}</span> : null}
      {node.level === "ERROR" ? <span className="level level-error">ERROR</span> : null}
    </span>
  );
}

function PickTraces({ a, b }: { a: string; b: string }) {
  const [params, setParams] = useSearchParams();
  const [draft, setDraft] = useState({ a, b });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    next.set("a", draft.a.trim());
    next.set("b", draft.b.trim());
    if (params.get("project")) next.set("project", params.get("project")!);
    setParams(next);
  };
  return (
    <form className="compare-pick" onSubmit={onSubmit}>
      <p className="muted">
        Select two traces in the list and press Compare, or paste two trace ids.
      </p>
      <label className="field">
        <span>Trace A</span>
        <input aria-label="Trace A" value={draft.a} onChange={(e) => setDraft({ ...draft, a: e.target.value })} />
      </label>
      <label className="field">
        <span>Trace B</span>
        <input aria-label="Trace B" value={draft.b} onChange={(e) => setDraft({ ...draft, b: e.target.value })} />
      </label>
      <button type="submit" className="button button-primary" disabled={!draft.a.trim() || !draft.b.trim()}>
        Compare
      </button>
    </form>
  );
}

export function ComparePage() {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const [params, setParams] = useSearchParams();
  const a = params.get("a") ?? "";
  const b = params.get("b") ?? "";
  const traceA = useTrace(project, a);
  const traceB = useTrace(project, b);

  const compared = useMemo(() => {
    if (!traceA.data || !traceB.data) return null;
    const totalA = countNodes(traceA.data.observations);
    const totalB = countNodes(traceB.data.observations);
    const rootsA = firstObservations(traceA.data.observations, MAX_COMPARED_OBSERVATIONS);
    const rootsB = firstObservations(traceB.data.observations, MAX_COMPARED_OBSERVATIONS);
    return { totalA, totalB, rows: alignTrees(rootsA, rootsB) };
  }, [traceA.data, traceB.data]);

  const wantedRow = params.get("row");
  const selected = useMemo(() => {
    if (!compared) return null;
    return (
      compared.rows.find((r) => r.key === wantedRow) ??
      compared.rows.find((r) => rowState(r) === "differs") ??
      compared.rows[0] ??
      null
    );
  }, [compared, wantedRow]);

  const setParam = (patch: Record<string, string | null>, replace = false) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    const chosen = next.get("project");
    next.delete("project");
    if (chosen) next.set("project", chosen); // the project stays last
    setParams(next, { replace });
  };

  // j/k (or the arrows) move through the aligned rows, as in a trace; not while typing.
  usePageKeys((event) => {
    if (!compared || compared.rows.length === 0) return;
    const step = event.key === "j" || event.key === "ArrowDown" ? 1 : event.key === "k" || event.key === "ArrowUp" ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const here = selected ? compared.rows.indexOf(selected) : -1;
    const row = compared.rows[Math.max(0, Math.min(compared.rows.length - 1, here + step))]!;
    setParam({ row: row.key }, true);
    document.querySelector(`[data-testid="compare-row"][data-row="${CSS.escape(row.key)}"]`)?.scrollIntoView({ block: "nearest" });
  });

  if (a === "" || b === "") {
    return (
      <main className="page compare-page">
        <h1>Compare traces</h1>
        <PickTraces a={a} b={b} />
      </main>
    );
  }
  const traceLink = (id: string) => `/traces/${encodeURIComponent(id)}${projectQuery}`;
  const failed = traceA.error ?? traceB.error;
  return (
    <main className="page compare-page">
      <div className="page-header">
        <h1>Compare traces</h1>
        <div className="page-actions">
          <button type="button" className="button" onClick={() => setParam({ a: b, b: a, row: null })}>
            Swap A and B
          </button>
          <Link className="button button-quiet" to={`/traces${projectQuery}`}>
            Back to the list
          </Link>
        </div>
      </div>
      {failed ? (
        <ErrorBanner
          message={`Could not load trace ${traceA.error ? "A" : "B"}: ${failed.message}`}
          onRetry={() => {
            void traceA.refetch();
            void traceB.refetch();
          }}
        />
      ) : null}
      {!failed && (traceA.isPending || traceB.isPending) ? <Spinner label="Loading both traces…" /> : null}
      {traceA.data && traceB.data && compared ? (
        <>
          <div className="compare-heads">
            {(["A", "B"] as const).map((side) => {
              const trace = side === "A" ? traceA.data : traceB.data;
              return (
                <div key={side} className="compare-head" data-testid={`trace-${side.toLowerCase()}`}>
                  <span className="compare-side">{side}</span>
                  <span className="strong">{trace.name ?? "(unnamed)"}</span>
                  <Link to={traceLink(trace.id)}>
                    <code>{trace.id}</code>
                  </Link>
                  <span className="muted">{formatTimestamp(trace.timestamp)}</span>
                </div>
              );
            })}
          </div>
          {compared.totalA > MAX_COMPARED_OBSERVATIONS || compared.totalB > MAX_COMPARED_OBSERVATIONS ? (
            <p className="banner banner-warning" data-testid="compare-truncated">
              Large traces ({compared.totalA.toLocaleString("en-US")} and {compared.totalB.toLocaleString("en-US")}{" "}
              observations): the tree compares the first {MAX_COMPARED_OBSERVATIONS} of each, in tree order. The totals
              above count them all.
            </p>
          ) : null}
          <MetricsTable rows={traceMetrics(traceA.data, traceB.data)} label="Trace totals" />
          <div className="compare-grid">
            <div className="compare-tree" role="table" aria-label="Aligned observations" data-testid="compare-tree">
              <div className="compare-tree-head" role="row">
                <span role="columnheader">A</span>
                <span role="columnheader" />
                <span role="columnheader">B</span>
                <span role="columnheader" className="numeric" title="B's latency minus A's">
                  Δ latency
                </span>
              </div>
              {compared.rows.map((row) => {
                const state = rowState(row);
                return (
                  <div
                    key={row.key}
                    role="row"
                    tabIndex={0}
                    data-testid="compare-row"
                    data-row={row.key}
                    data-state={state}
                    aria-selected={row === selected}
                    className={`compare-row compare-${state} ${row === selected ? "selected" : ""}`}
                    onClick={() => setParam({ row: row.key })}
                    onKeyDown={(e) => e.key === "Enter" && setParam({ row: row.key })}
                  >
                    <span role="cell" style={{ paddingLeft: row.depth * 14 }}>
                      <NodeCell node={row.a} />
                    </span>
                    <span role="cell" className="compare-state" title={row.match === "position" ? "paired by position" : undefined}>
                      {STATE_TEXT[state]}
                    </span>
                    <span role="cell" style={{ paddingLeft: row.depth * 14 }}>
                      <NodeCell node={row.b} />
                    </span>
                    <span role="cell" className="numeric muted">
                      {row.a && row.b ? formatDelta(observationMetrics(row.a, row.b)[0]!, false) : ""}
                    </span>
                  </div>
                );
              })}
              {compared.rows.length === 0 ? <p className="muted">Neither trace has observations.</p> : null}
            </div>
            {selected ? (
              <section className="compare-detail" data-testid="compare-detail" aria-label="Selected observations">
                <div className="compare-detail-head">
                  <NodeCell node={selected.a} />
                  <span className="muted">vs</span>
                  <NodeCell node={selected.b} />
                </div>
                <MetricsTable rows={observationMetrics(selected.a, selected.b)} label="Observation figures" />
                <DiffView key={`${selected.key}-in`} label="Input" a={selected.a?.input} b={selected.b?.input} testId="diff-input" />
                <DiffView key={`${selected.key}-out`} label="Output" a={selected.a?.output} b={selected.b?.output} testId="diff-output" />
                {(selected.a?.model_parameters ?? selected.b?.model_parameters) ? (
                  <DiffView
                    key={`${selected.key}-params`}
                    label="Model parameters"
                    a={selected.a?.model_parameters}
                    b={selected.b?.model_parameters}
                    testId="diff-parameters"
                  />
                ) : null}
              </section>
            ) : null}
          </div>
        </>
      ) : null}
    </main>
  );
}
