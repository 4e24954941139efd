// /live: the current project's LLM calls as they happen: rates, cost, latency, errors, calls in
// flight and the model mix over the last 15 min to 24 h (the window is in the URL). The page asks
// GET /api/v1/live every few seconds (polling, not a stream: each answer is the whole window,
// cheap for the server, and it goes through the same sign-in and project header as every request).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl } from "../auth/projectInUrl";
import { ErrorBanner, Spinner } from "../components/states";
import { formatTimestamp, formatTokens, formatUsd, plural } from "../format";
import {
  formatCostRate,
  formatNumber,
  formatPercent,
  formatSeconds,
  plotData,
  POLL_INTERVAL_MS,
  WINDOW_LABELS,
  WINDOWS,
  windowFromSearch,
} from "./series";
import type { LiveDashboard } from "./types";
import { UPlotChart, type ChartSeries } from "./UPlotChart";

interface ChartSpec {
  title: string;
  testId: string;
  series: ChartSeries[];
  data: [number[], ...(number | null)[][]];
}

const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#db2777", "#65a30d", "#64748b"];

function Tile({ label, value, detail, title, testId }: { label: string; value: string; detail?: string; title?: string; testId: string }) {
  return (
    <div className="tile" data-testid={testId} title={title}>
      <div className="tile-label">{label}</div>
      <div className="tile-value" data-testid={`${testId}-value`}>
        {value}
      </div>
      {detail ? <div className="tile-detail muted">{detail}</div> : null}
    </div>
  );
}

export function LivePage() {
  const { project } = useAuth();
  const [searchParams, setSearchParams] = useSearchParams();
  useProjectInUrl();
  const windowName = windowFromSearch(searchParams);
  const query = useQuery({
    queryKey: ["live", project, windowName],
    queryFn: ({ signal }) => apiRequest<LiveDashboard>(`/api/v1/live?window=${windowName}`, { signal }),
    enabled: project !== null,
    refetchInterval: POLL_INTERVAL_MS,
    refetchIntervalInBackground: false,
    staleTime: 0,
    placeholderData: keepPreviousData,
  });
  const live = query.data;

  const setWindow = (name: string) => {
    const next = new URLSearchParams(searchParams);
    next.set("window", name);
    // the project stays last, where useProjectInUrl puts it
    const projectName = next.get("project");
    if (projectName !== null) {
      next.delete("project");
      next.set("project", projectName);
    }
    setSearchParams(next);
  };

  const charts = useMemo(() => {
    if (!live) return null;
    const b = live.buckets;
    const timeFormat = live.step_s >= 900 ? "{M}/{D} {HH}:{mm}" : "{HH}:{mm}";
    const one = (label: string, color: string, format: (v: number | null) => string, fill = true): ChartSeries[] => [
      { label, color, format, fill },
    ];
    const models = Object.keys(live.model_calls);
    const list: ChartSpec[] = [
        { title: "Completions per minute", testId: "chart-completions", series: one("calls/min", PALETTE[0]!, formatNumber), data: plotData(b.t, b.completions_per_min) },
        { title: "Tokens per second", testId: "chart-tokens", series: one("tokens/s", PALETTE[1]!, formatNumber), data: plotData(b.t, b.tokens_per_s) },
        {
          title: "Cost per hour (priced calls; unpriced counted apart)",
          testId: "chart-cost",
          series: [
            { label: "USD/h", color: PALETTE[2]!, format: (v: number | null) => (v === null ? "unknown" : formatUsd(v)), fill: true },
            { label: "unpriced calls", color: PALETTE[4]!, format: formatNumber, scale: "count" as const },
          ],
          data: plotData(b.t, b.cost_per_hour, b.unpriced_calls),
        },
        { title: "p95 latency", testId: "chart-latency", series: one("p95", PALETTE[3]!, formatSeconds), data: plotData(b.t, b.p95_latency_s) },
        { title: "Error rate", testId: "chart-errors", series: one("errors", PALETTE[4]!, formatPercent), data: plotData(b.t, b.error_rate) },
        { title: "Active requests (average calls in flight)", testId: "chart-active", series: one("in flight", PALETTE[5]!, formatNumber), data: plotData(b.t, b.active_requests) },
        {
          title: "Model mix (calls per bucket)",
          testId: "chart-models",
          series: models.map((name, i) => ({ label: name, color: PALETTE[i % PALETTE.length]!, format: formatNumber })),
          data: plotData(b.t, ...models.map((name) => live.model_calls[name] ?? [])),
        },
    ];
    return { timeFormat, list };
  }, [live]);

  const totals = live?.totals;
  const cost = totals ? formatCostRate(totals) : null;
  return (
    <main className="page live-page">
      <div className="page-header">
        <h1>Live</h1>
        <div className="page-actions">
          <div className="segmented" role="group" aria-label="Window">
            {WINDOWS.map((name) => (
              <button
                key={name}
                type="button"
                className={`button ${name === windowName ? "button-primary" : ""}`}
                aria-pressed={name === windowName}
                onClick={() => setWindow(name)}
              >
                {WINDOW_LABELS[name]}
              </button>
            ))}
          </div>
          <span className="muted" data-testid="live-status" title={`Refreshed every ${POLL_INTERVAL_MS / 1000} s`}>
            {query.isFetching ? <Spinner label="Updating…" /> : live ? `Updated ${formatTimestamp(live.now).slice(11)}` : null}
          </span>
        </div>
      </div>
      {query.error ? <ErrorBanner message={`Could not load the live figures: ${query.error.message}`} onRetry={() => void query.refetch()} /> : null}
      {!live || !totals || !charts ? (
        query.isPending ? (
          <div className="table-placeholder">
            <Spinner label="Loading…" />
          </div>
        ) : null
      ) : (
        <>
          <section className="tiles" aria-label={`Last ${WINDOW_LABELS[windowName]}`}>
            <Tile testId="live-calls" label="Calls" value={totals.calls.toLocaleString("en-US")} detail={`${formatNumber(totals.completions_per_min)} per minute`} />
            <Tile
              testId="live-tokens"
              label="Tokens per second"
              value={formatNumber(totals.tokens_per_s)}
              detail={`${formatTokens(totals.input_tokens)} in, ${formatTokens(totals.output_tokens)} out`}
            />
            <Tile testId="live-cost" label="Cost per hour" value={cost!.text} title={cost!.title} detail={totals.cost === null ? undefined : `${formatUsd(totals.cost)} in the window`} />
            <Tile
              testId="live-unpriced"
              label="Unpriced calls"
              value={totals.unpriced_calls.toLocaleString("en-US")}
              detail="no price known: not in the cost"
              title="Calls to a model without a price. Their cost is unknown, not $0: set a price with `theodolite prices set`."
            />
            <Tile
              testId="live-not-billed"
              label="Not billed"
              value={totals.not_billed_calls.toLocaleString("en-US")}
              detail={totals.saved ? `cache hits and fallbacks, ${formatUsd(totals.saved)} saved` : "cache hits and fallbacks ($0)"}
            />
            <Tile testId="live-p95" label="p95 latency" value={formatSeconds(totals.p95_latency_s)} title="Estimated from a histogram (16 classes per decade): within 15% of the exact value." />
            <Tile testId="live-error-rate" label="Error rate" value={formatPercent(totals.error_rate)} detail={`${totals.errors} ${plural(totals.errors, "error")}`} />
            <Tile
              testId="live-active"
              label="Active requests"
              value={formatNumber(totals.active_requests)}
              title="Average calls in flight: the durations of the calls that started in the window, summed, divided by its length. Known when calls end."
              detail={totals.unfinished_calls ? `${totals.unfinished_calls} stored without an end` : "average in flight"}
            />
          </section>
          <section className="charts">
            {charts.list.map((chart) => (
              <UPlotChart key={chart.testId} title={chart.title} testId={chart.testId} series={chart.series} data={chart.data} timeFormat={charts.timeFormat} />
            ))}
          </section>
          <section>
            <h2>Model mix</h2>
            <table className="simple-table" data-testid="live-models">
              <thead>
                <tr>
                  <th>Model</th>
                  <th className="numeric">Calls</th>
                  <th className="numeric">Share</th>
                  <th className="numeric">Tokens</th>
                  <th className="numeric">Cost</th>
                  <th className="numeric">Errors</th>
                </tr>
              </thead>
              <tbody>
                {live.models.map((model) => {
                  const modelCost = formatCostRate({ ...model, cost_per_hour: model.cost });
                  return (
                    <tr key={model.model}>
                      <td>{model.model}</td>
                      <td className="numeric">{model.calls.toLocaleString("en-US")}</td>
                      <td className="numeric">{formatPercent(totals.calls ? model.calls / totals.calls : null)}</td>
                      <td className="numeric">{formatTokens(model.input_tokens + model.output_tokens)}</td>
                      <td className="numeric" title={modelCost.title}>
                        {modelCost.text.replace("/h", "")}
                      </td>
                      <td className="numeric">{model.errors}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {live.models.length === 0 ? <p className="muted">No LLM call in the last {WINDOW_LABELS[windowName]}.</p> : null}
          </section>
        </>
      )}
    </main>
  );
}
