// /costs: what the LLM calls cost, by day, model, project, user and feature, for a time range in
// the URL (GET /api/v1/costs: the same report as `theodolite costs report`). Unpriced calls and
// calls not billed (cache hits, fallbacks) are counted apart, never shown as $0.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { useProjectInUrl } from "../auth/projectInUrl";
import { ErrorBanner, Spinner } from "../components/states";
import { formatTokens, formatUsd } from "../format";
import { UPlotChart } from "../live/UPlotChart";
import { dailySeries, lineCost, periodFromSearch, periodToApiParams, RANGES } from "./series";
import type { CostGroup, CostLine, CostPage as CostAnswer } from "./types";

const TABLES: { group: string; title: string; keyLabel: string; empty: string }[] = [
  { group: "model", title: "By model", keyLabel: "Model", empty: "(no model)" },
  { group: "user", title: "By user", keyLabel: "User", empty: "(no user)" },
  { group: "feature", title: "By feature", keyLabel: "Feature (metadata `feature`)", empty: "(no feature)" },
  { group: "project", title: "By project (every project you can read)", keyLabel: "Project", empty: "" },
  { group: "day", title: "By day (UTC)", keyLabel: "Day", empty: "" },
];

function CostCell({ line }: { line: CostLine }) {
  const cost = lineCost(line);
  return (
    <td className={`numeric cost-${cost.kind}`} title={cost.title} data-testid="cost-cell">
      {cost.text}
    </td>
  );
}

function CostTable({ group, data, title, keyLabel, empty }: { group: string; data: CostGroup; title: string; keyLabel: string; empty: string }) {
  return (
    <section className="cost-table">
      <h2>{title}</h2>
      <table className="simple-table" data-testid={`costs-${group}`}>
        <thead>
          <tr>
            <th>{keyLabel}</th>
            <th className="numeric">Calls</th>
            <th className="numeric">Input tokens</th>
            <th className="numeric">Output tokens</th>
            <th className="numeric">Cost</th>
            <th className="numeric" title="Calls to a model without a price: their cost is unknown, not counted as $0">
              Unpriced calls
            </th>
            <th className="numeric" title="Cache hits and fallbacks: no provider call, a known $0">
              Not billed
            </th>
            <th className="numeric" title="What the cache hits and fallbacks would have cost">
              Saved
            </th>
          </tr>
        </thead>
        <tbody>
          {data.lines.map((line) => (
            <tr key={line.key} data-testid="cost-row" data-key={line.key}>
              <td>{line.key || <span className="muted">{empty}</span>}</td>
              <td className="numeric">{line.calls.toLocaleString("en-US")}</td>
              <td className="numeric">{formatTokens(line.input_tokens)}</td>
              <td className="numeric">{formatTokens(line.output_tokens)}</td>
              <CostCell line={line} />
              <td className="numeric" data-testid="unpriced-cell">
                {line.unpriced_calls ? line.unpriced_calls.toLocaleString("en-US") : ""}
              </td>
              <td className="numeric" data-testid="not-billed-cell">
                {line.not_billed_calls ? line.not_billed_calls.toLocaleString("en-US") : ""}
              </td>
              <td className="numeric">{line.saved_usd === null ? "unknown" : line.saved_usd ? formatUsd(line.saved_usd) : ""}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="cost-total">
            <td>Total</td>
            <td className="numeric">{data.total.calls.toLocaleString("en-US")}</td>
            <td className="numeric">{formatTokens(data.total.input_tokens)}</td>
            <td className="numeric">{formatTokens(data.total.output_tokens)}</td>
            <CostCell line={data.total} />
            <td className="numeric">{data.total.unpriced_calls || ""}</td>
            <td className="numeric">{data.total.not_billed_calls || ""}</td>
            <td className="numeric">{data.total.saved_usd === null ? "unknown" : data.total.saved_usd ? formatUsd(data.total.saved_usd) : ""}</td>
          </tr>
        </tfoot>
      </table>
      {data.truncated ? <p className="muted">Only the {data.lines.length} biggest are shown.</p> : null}
      {data.lines.length === 0 ? <p className="muted">No LLM call in this range.</p> : null}
    </section>
  );
}

export function CostsPage() {
  const { project } = useAuth();
  const [searchParams, setSearchParams] = useSearchParams();
  useProjectInUrl();
  const period = useMemo(() => periodFromSearch(searchParams), [searchParams]);
  const apiParams = useMemo(() => periodToApiParams(period).toString(), [period]);
  const query = useQuery({
    queryKey: ["costs", project, apiParams],
    queryFn: ({ signal }) => apiRequest<CostAnswer>(`/api/v1/costs?${apiParams}`, { signal }),
    enabled: project !== null,
    placeholderData: keepPreviousData,
  });
  const costs = query.data;
  const setRange = (range: string) => {
    const next = new URLSearchParams(searchParams);
    next.delete("from");
    next.delete("to");
    next.set("range", range);
    const projectName = next.get("project");
    if (projectName !== null) {
      next.delete("project");
      next.set("project", projectName);
    }
    setSearchParams(next);
  };
  const daily = useMemo(() => {
    const day = costs?.groups.day;
    return costs && day ? dailySeries(day.lines, costs.from, costs.to) : null;
  }, [costs]);
  const total = costs?.groups.model?.total ?? costs?.groups.day?.total;
  const totalCost = total ? lineCost(total) : null;

  return (
    <main className="page costs-page">
      <div className="page-header">
        <h1>Costs{costs ? <span className="muted"> · {costs.project}</span> : null}</h1>
        <div className="page-actions">
          <div className="segmented" role="group" aria-label="Range">
            {RANGES.map((range) => (
              <button
                key={range}
                type="button"
                className={`button ${period.range === range ? "button-primary" : ""}`}
                aria-pressed={period.range === range}
                onClick={() => setRange(range)}
              >
                Last {range.replace("d", " days")}
              </button>
            ))}
          </div>
          {query.isFetching ? <Spinner label="Updating…" /> : null}
        </div>
      </div>
      {query.error ? <ErrorBanner message={`Could not load the costs: ${query.error.message}`} onRetry={() => void query.refetch()} /> : null}
      {!costs || !total || !totalCost ? (
        query.isPending ? (
          <div className="table-placeholder">
            <Spinner label="Loading…" />
          </div>
        ) : null
      ) : (
        <>
          <p className="muted">
            {costs.from.slice(0, 10)} to {costs.to.slice(0, 10)} (UTC, end excluded). Unpriced calls have no known cost: they are
            counted apart, never as $0. Cache hits and fallbacks are not billed: a known $0, with what they saved.
          </p>
          <section className="tiles">
            <div className="tile" data-testid="costs-total" title={totalCost.title}>
              <div className="tile-label">Cost</div>
              <div className={`tile-value cost-${totalCost.kind}`}>{totalCost.text}</div>
              <div className="tile-detail muted">{total.calls.toLocaleString("en-US")} calls</div>
            </div>
            <div className="tile" data-testid="costs-unpriced">
              <div className="tile-label">Unpriced calls</div>
              <div className="tile-value" data-testid="costs-unpriced-value">
                {total.unpriced_calls.toLocaleString("en-US")}
              </div>
              <div className="tile-detail muted">no price known: not in the cost</div>
            </div>
            <div className="tile" data-testid="costs-not-billed">
              <div className="tile-label">Not billed</div>
              <div className="tile-value" data-testid="costs-not-billed-value">
                {total.not_billed_calls.toLocaleString("en-US")}
              </div>
              <div className="tile-detail muted">
                cache hits and fallbacks ($0){total.saved_usd ? `, ${formatUsd(total.saved_usd)} saved` : ""}
              </div>
            </div>
          </section>
          {daily ? (
            <UPlotChart
              title="Cost per day (USD, priced calls) and unpriced calls"
              testId="costs-daily-chart"
              bars
              timeFormat="{M}/{D}"
              utc
              xStepsS={[86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400]}
              height={200}
              series={[
                { label: "USD", color: "#d97706", format: (v) => (v === null ? "—" : formatUsd(v)), fill: true },
                { label: "unpriced calls", color: "#dc2626", format: (v) => (v === null ? "—" : String(v)), scale: "count" },
              ]}
              data={[daily.t, daily.cost, daily.unpriced]}
            />
          ) : null}
          <div className="cost-tables">
            {TABLES.filter((table) => costs.groups[table.group]).map((table) => (
              <CostTable key={table.group} {...table} data={costs.groups[table.group]!} />
            ))}
          </div>
        </>
      )}
    </main>
  );
}
