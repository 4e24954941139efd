// /experiments/compare?ids=A,B[,C...][&item=ID]: experiments on one dataset side by side. The first
// is the baseline: every other experiment's means are set against it with a paired bootstrap
// interval and the items won, lost and tied; a table per categorical score (runs per category,
// agreement with the baseline); then item by item, the outputs diffed (DiffView), scores and
// categories, cost and latency, the winner marked, and links to each run's trace.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl, useProjectQuery } from "../auth/projectInUrl";
import { ErrorBanner, Spinner } from "../components/states";
import { DiffView } from "../compare/DiffView";
import { readable } from "../compare/diffText";
import {
  bestOf, formatAgreement, formatCount, formatMetric, formatVersus, itemWinner, meanOf, metricLabel, metricsOf, versusOf,
  type Metric,
} from "./figures";
import type { Comparison } from "./types";
import "../compare/compare.css";
import "./experiments.css";

function metricKey(metric: Metric): string {
  return metric.kind === "score" ? `score-${metric.name}` : metric.kind;
}

function AggregateTable({ comparison }: { comparison: Comparison }) {
  const metrics = metricsOf(comparison);
  const names = new Map(comparison.experiments.map((e) => [e.id, e.name]));
  return (
    <table className="experiments-table aggregate-table" aria-label="Aggregates">
      <thead>
        <tr>
          <th />
          {comparison.experiments.map((experiment, n) => (
            <th key={experiment.id} className="numeric" data-testid="experiment-head">
              {experiment.name} {n === 0 ? <span className="tag tag-baseline">baseline</span> : null}
              <div className="muted small">
                v{experiment.dataset_version} · {experiment.metadata ? JSON.stringify(experiment.metadata) : ""}
              </div>
            </th>
          ))}
          <th>Best</th>
        </tr>
      </thead>
      <tbody>
        {metrics.map((metric) => {
          const best = bestOf(comparison, metric);
          return (
            <tr key={metricKey(metric)} data-testid="aggregate-row" data-metric={metricKey(metric)}>
              <th scope="row">{metricLabel(metric)}</th>
              {comparison.experiments.map((experiment, n) => {
                const versus = n === 0 ? undefined : versusOf(comparison, experiment.id, metric);
                const tone = versus?.significant ? (versus.better === "experiment" ? "delta-good" : "delta-bad") : "muted";
                return (
                  <td key={experiment.id} className={`numeric ${best === experiment.id ? "best" : ""}`} data-best={best === experiment.id}>
                    <div className="strong">
                      {best === experiment.id ? <span aria-label="best">★ </span> : null}
                      {formatMetric(metric, meanOf(comparison, n, metric))}
                    </div>
                    {versus ? (
                      <div className={`small ${tone}`} data-testid="versus" title={`${Math.round(comparison.confidence * 100)} % paired bootstrap interval of the difference from the baseline`}>
                        {formatVersus(metric, versus)}
                        <div>
                          W/L/T {versus.wins}/{versus.losses}/{versus.ties}
                        </div>
                      </div>
                    ) : null}
                  </td>
                );
              })}
              <td data-testid="best">{best === null ? <span className="muted">tie</span> : names.get(best)}</td>
            </tr>
          );
        })}
        <tr>
          <th scope="row">runs · errors</th>
          {comparison.experiments.map((experiment) => (
            <td key={experiment.id} className="numeric">
              {experiment.item_count} · <span className={experiment.errors ? "error-text" : "muted"}>{experiment.errors}</span>
            </td>
          ))}
          <td />
        </tr>
        <tr>
          <th scope="row">cost (total) · latency p50</th>
          {comparison.experiments.map((experiment) => (
            <td key={experiment.id} className="numeric">
              {formatMetric({ kind: "cost" }, experiment.cost.total)} · {formatMetric({ kind: "latency" }, experiment.latency_ms.p50)}
            </td>
          ))}
          <td />
        </tr>
      </tbody>
    </table>
  );
}

// One categorical score: a row per category with each experiment's runs (count and share), then
// each other experiment's agreement with the baseline (and wins by the categories' numbers, if any).
function CategoricalTable({ comparison, name }: { comparison: Comparison; name: string }) {
  const scale = comparison.categorical[name] ?? { labels: [], values: null };
  return (
    <table className="experiments-table aggregate-table categorical-table" aria-label={`Categorical score ${name}`} data-testid="categorical-table" data-score={name}>
      <thead>
        <tr>
          <th>{name}</th>
          {comparison.experiments.map((experiment) => (
            <th key={experiment.id} className="numeric">
              {experiment.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {scale.labels.map((label) => (
          <tr key={label} data-testid="category-row" data-label={label}>
            <th scope="row">
              {label}
              {scale.values?.[label] !== undefined ? <span className="muted small"> = {scale.values[label]}</span> : null}
            </th>
            {comparison.experiments.map((experiment) => {
              const counts = experiment.categories[name];
              return (
                <td key={experiment.id} className="numeric" data-testid="category-count" data-experiment={experiment.id}>
                  {formatCount(counts?.counts[label], counts?.shares[label])}
                </td>
              );
            })}
          </tr>
        ))}
        <tr>
          <th scope="row">vs baseline</th>
          {comparison.experiments.map((experiment, n) => {
            const versus = comparison.versus_baseline.find((v) => v.experiment_id === experiment.id)?.categories[name];
            const tone = versus?.better === "experiment" ? "delta-good" : versus?.better === "baseline" ? "delta-bad" : "muted";
            return (
              <td key={experiment.id} className={`numeric small ${tone}`} data-testid={n === 0 ? undefined : "category-versus"}>
                {n === 0 ? "" : formatAgreement(versus)}
              </td>
            );
          })}
        </tr>
      </tbody>
    </table>
  );
}

export function ExperimentComparePage() {
  const { project } = useAuth();
  useProjectInUrl();
  const projectQuery = useProjectQuery();
  const [params, setParams] = useSearchParams();
  const ids = params.get("ids") ?? "";
  const [onlyDecided, setOnlyDecided] = useState(false);
  const query = useQuery({
    queryKey: ["experiments-compare", project, ids],
    queryFn: ({ signal }) => apiRequest<Comparison>(`/api/v1/experiments/compare?ids=${encodeURIComponent(ids)}`, { signal }),
    enabled: project !== null && ids !== "",
  });
  const comparison = query.data;
  const [scoreChoice, setScoreChoice] = useState<string | null>(null);
  const score = scoreChoice ?? comparison?.score_names[0];
  const names = useMemo(() => new Map((comparison?.experiments ?? []).map((e) => [e.id, e.name])), [comparison]);
  const items = useMemo(() => {
    const all = comparison?.items ?? [];
    return onlyDecided ? all.filter((item) => typeof itemWinner(item, score) === "number") : all;
  }, [comparison, onlyDecided, score]);
  const selectedId = params.get("item") ?? items[0]?.item_id ?? null;
  const selected = comparison?.items.find((item) => item.item_id === selectedId) ?? null;
  const select = (itemId: string) => {
    const next = new URLSearchParams(params);
    next.set("item", itemId);
    setParams(next, { replace: true });
  };
  const traceLink = (id: string) => `/traces/${encodeURIComponent(id)}${projectQuery}`;

  return (
    <main className="page compare-page experiment-compare-page">
      <div className="page-header">
        <h1>
          Compare experiments{" "}
          {comparison ? <span className="muted">on {comparison.experiments[0]!.dataset}</span> : null}
        </h1>
        <div className="page-actions">
          <Link className="button button-quiet" to={`/experiments${projectQuery}`}>
            All experiments
          </Link>
        </div>
      </div>
      {ids === "" ? <p className="muted">Pick two experiments or more on the Experiments page.</p> : null}
      {query.error ? <ErrorBanner message={`Could not compare: ${query.error.message}`} onRetry={() => void query.refetch()} /> : null}
      {query.isPending && ids !== "" ? <Spinner label="Comparing…" /> : null}
      {comparison ? (
        <>
          <AggregateTable comparison={comparison} />
          {comparison.category_names.map((name) => (
            <CategoricalTable key={name} comparison={comparison} name={name} />
          ))}
          <div className="experiment-items-head">
            <h2>Items</h2>
            {comparison.score_names.length > 1 ? (
              <label className="inline-field">
                <span>Winner by</span>
                <select aria-label="Winner by" value={score} onChange={(e) => setScoreChoice(e.target.value)}>
                  {comparison.score_names.map((name) => (
                    <option key={name}>{name}</option>
                  ))}
                </select>
              </label>
            ) : null}
            <label className="inline-field">
              <input type="checkbox" checked={onlyDecided} onChange={(e) => setOnlyDecided(e.target.checked)} />
              <span>Only items with a winner</span>
            </label>
            <span className="muted">{items.length} items</span>
          </div>
          <div className="compare-grid">
            <div className="compare-tree">
              <table className="experiments-table items-table" aria-label="Items">
                <thead>
                  <tr>
                    <th>Item</th>
                    {comparison.experiments.map((experiment) => (
                      <th key={experiment.id} className="numeric">
                        {experiment.name}
                      </th>
                    ))}
                    <th>Winner{score ? ` (${score})` : ""}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((item) => {
                    const winner = itemWinner(item, score);
                    return (
                      <tr
                        key={item.item_id}
                        data-testid="item-row"
                        data-item={item.item_id}
                        data-winner={winner === null ? "" : String(winner)}
                        className={item.item_id === selectedId ? "selected" : ""}
                        onClick={() => select(item.item_id)}
                      >
                        <td className="mono">{item.item_id}</td>
                        {item.runs.map((run, n) => (
                          <td
                            key={n}
                            className={`numeric ${winner === comparison.experiments[n]!.id ? "best" : ""}`}
                          >
                            {run === null ? (
                              <span className="muted">no run</span>
                            ) : run.error ? (
                              <span className="error-text" title={run.error}>error</span>
                            ) : (
                              <>
                                {score ? <span className="strong">{formatMetric({ kind: "score", name: score }, run.scores[score])}</span> : null}
                                {comparison.category_names.map((name) => (
                                  <span key={name} className="category-tag" data-testid="item-category" title={name}>
                                    {run.categories[name] ?? "—"}
                                  </span>
                                ))}
                                <span className="muted small"> · {formatMetric({ kind: "cost" }, run.cost)} · {formatMetric({ kind: "latency" }, run.latency_ms)}</span>
                              </>
                            )}
                          </td>
                        ))}
                        <td data-testid="item-winner">
                          {winner === null ? "" : winner === "tie" ? <span className="muted">tie</span> : <span className="strong">★ {names.get(winner)}</span>}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {selected ? (
              <section className="compare-detail" data-testid="item-detail" aria-label="Selected item">
                <h3>
                  Item <code>{selected.item_id}</code>
                </h3>
                <div className="experiment-io">
                  <div>
                    <div className="muted small">Input</div>
                    <pre className="diff-raw">{readable(selected.input)}</pre>
                  </div>
                  <div>
                    <div className="muted small">Expected output</div>
                    <pre className="diff-raw">{readable(selected.expected_output)}</pre>
                  </div>
                </div>
                <table className="experiments-table" aria-label="Runs of the item">
                  <thead>
                    <tr>
                      <th>Experiment</th>
                      {comparison.score_names.map((name) => (
                        <th key={name} className="numeric">{name}</th>
                      ))}
                      {comparison.category_names.map((name) => (
                        <th key={name}>{name}</th>
                      ))}
                      <th className="numeric">Cost</th>
                      <th className="numeric">Latency</th>
                      <th>Trace</th>
                    </tr>
                  </thead>
                  <tbody>
                    {selected.runs.map((run, n) => {
                      const experiment = comparison.experiments[n]!;
                      return (
                        <tr key={experiment.id}>
                          <td className="strong">{experiment.name}</td>
                          {comparison.score_names.map((name) => (
                            <td key={name} className="numeric">
                              {run ? formatMetric({ kind: "score", name }, run.scores[name]) : ""}
                            </td>
                          ))}
                          {comparison.category_names.map((name) => (
                            <td key={name}>{run?.categories[name] ?? ""}</td>
                          ))}
                          <td className="numeric">{run ? formatMetric({ kind: "cost" }, run.cost) : ""}</td>
                          <td className="numeric">{run ? formatMetric({ kind: "latency" }, run.latency_ms) : ""}</td>
                          <td>
                            {run?.trace_id ? (
                              <Link to={traceLink(run.trace_id)} data-testid="run-trace-link">
                                open trace
                              </Link>
                            ) : (
                              <span className="muted">none</span>
                            )}
                            {run?.error ? <div className="error-text small">{run.error}</div> : null}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                {comparison.experiments.slice(1).map((experiment, n) => (
                  <DiffView
                    key={`${selected.item_id}-${experiment.id}`}
                    label={`Output: ${comparison.experiments[0]!.name} → ${experiment.name}`}
                    a={selected.runs[0]?.output}
                    b={selected.runs[n + 1]?.output}
                    testId="diff-output"
                  />
                ))}
              </section>
            ) : null}
          </div>
        </>
      ) : null}
    </main>
  );
}
