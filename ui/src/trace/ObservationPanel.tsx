// The selected observation: its input and output as a chat, then usage, cost, model parameters,
// metadata, scores, the error and the leftover attributes. Read when selected
// (GET /api/v1/traces/{trace}/observations/{id}); big documents are parsed in a worker (parse.ts).
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { ApiError, apiRequest } from "../api/client";
import { useAuth } from "../auth/auth";
import { JsonTree } from "../components/JsonTree";
import { ErrorBanner, Spinner } from "../components/states";
import { formatTimestamp, formatTokens, formatUsd } from "../format";
import { ChatView } from "./ChatView";
import { formatMs, formatObservationCost, TYPE_LABELS } from "./format";
import { MAX_RENDERED_CHARS, parseDocument } from "./parse";
import type { ObservationDetail } from "./types";

type Loaded = { detail: ObservationDetail; chars: number } | { tooBig: string; chars: number };

async function loadObservation(traceId: string, observationId: string, signal: AbortSignal): Promise<Loaded> {
  const path = `/api/v1/traces/${encodeURIComponent(traceId)}/observations/${encodeURIComponent(observationId)}`;
  const text = await apiRequest<string>(path, { signal, asText: true });
  if (text.length > MAX_RENDERED_CHARS) return { tooBig: text, chars: text.length };
  return { detail: (await parseDocument(text)) as ObservationDetail, chars: text.length };
}

function usd(value: number | null): string {
  return value === null ? "—" : formatUsd(value);
}

function Facts({ detail, startOffsetMs }: { detail: ObservationDetail; startOffsetMs: number | null }) {
  const cost = formatObservationCost(detail.calculated_total_cost ?? detail.total_cost, detail.cost_status);
  return (
    <dl className="facts">
      <dt>Start</dt>
      <dd title={detail.start_time}>
        {formatTimestamp(detail.start_time)}
        {startOffsetMs !== null ? <span className="muted"> (+{formatMs(startOffsetMs)})</span> : null}
      </dd>
      <dt>Duration</dt>
      <dd>{detail.latency_s === null ? "not ended" : formatMs(detail.latency_s * 1000)}</dd>
      {detail.time_to_first_token_s !== null ? (
        <>
          <dt>First token</dt>
          <dd>{formatMs(detail.time_to_first_token_s * 1000)}</dd>
        </>
      ) : null}
      {detail.model || detail.request_model ? (
        <>
          <dt>Model</dt>
          <dd>
            {detail.model ?? detail.request_model}
            {detail.request_model && detail.model && detail.request_model !== detail.model ? (
              <span className="muted"> (asked for {detail.request_model})</span>
            ) : null}
            {detail.provider ? <span className="muted"> · {detail.provider}</span> : null}
          </dd>
        </>
      ) : null}
      <dt>Level</dt>
      <dd className={detail.level === "ERROR" ? "error-text" : undefined}>{detail.level}</dd>
      {cost.text ? (
        <>
          <dt>Cost</dt>
          <dd title={cost.title} className={`cost-${cost.kind}`}>
            {cost.text}
          </dd>
        </>
      ) : null}
      {detail.source && detail.source !== "provider" ? (
        <>
          <dt>Source</dt>
          <dd>{detail.source}</dd>
        </>
      ) : null}
    </dl>
  );
}

function Usage({ detail }: { detail: ObservationDetail }) {
  const rows: [string, number | null][] = [
    ["Input", detail.prompt_tokens],
    ["Output", detail.completion_tokens],
    ["Total", detail.total_tokens],
    ["Cache read", detail.cache_read_tokens],
    ["Cache write", detail.cache_write_tokens],
    ["Reasoning", detail.reasoning_tokens],
  ];
  const present = rows.filter(([, value]) => value !== null);
  const costs: [string, number | null, number | null][] = [
    ["Input", detail.calculated_input_cost, detail.input_cost],
    ["Output", detail.calculated_output_cost, detail.output_cost],
    ["Total", detail.calculated_total_cost, detail.total_cost],
  ];
  const hasCost = detail.cost_status !== "n/a" || costs.some(([, a, b]) => a !== null || b !== null);
  if (present.length === 0 && !hasCost) return null;
  const status = formatObservationCost(detail.calculated_total_cost ?? detail.total_cost, detail.cost_status);
  return (
    <section className="detail-section" data-testid="detail-usage">
      <h3>Usage and cost</h3>
      <table className="detail-table">
        <thead>
          <tr>
            <th />
            <th>Tokens</th>
            <th>Priced by Theodolite</th>
            <th>Reported</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, tokens]) => {
            const cost = costs.find(([label]) => label === name);
            if (tokens === null && !cost) return null;
            return (
              <tr key={name}>
                <th>{name}</th>
                <td>{formatTokens(tokens)}</td>
                <td>{cost ? usd(cost[1]) : ""}</td>
                <td>{cost ? usd(cost[2]) : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted" title={status.title}>
        Cost status: <strong>{detail.cost_status}</strong>
        {status.title ? ` — ${status.title}` : ""}
        {detail.saved_cost !== null ? ` Saved: ${formatUsd(detail.saved_cost)}.` : ""}
      </p>
    </section>
  );
}

function Scores({ detail }: { detail: ObservationDetail }) {
  if (detail.scores.length === 0) return null;
  return (
    <section className="detail-section" data-testid="detail-scores">
      <h3>Scores</h3>
      <table className="detail-table">
        <tbody>
          {detail.scores.map((score) => (
            <tr key={score.id}>
              <th>{score.name}</th>
              <td>{score.string_value ?? (score.value === null ? "—" : String(score.value))}</td>
              <td className="muted">{score.source}</td>
              <td>{score.comment}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function JsonSection({ title, value, open = true }: { title: string; value: unknown; open?: boolean }) {
  if (value === null || value === undefined) return null;
  if (typeof value === "object" && Object.keys(value as object).length === 0) return null;
  return (
    <details className="detail-section" open={open}>
      <summary>
        <h3>{title}</h3>
      </summary>
      <JsonTree value={value} />
    </details>
  );
}

export function ObservationPanel({
  traceId,
  observationId,
  startOffsetMs,
}: {
  traceId: string;
  observationId: string;
  startOffsetMs: number | null;
}) {
  const { project } = useAuth();
  const query = useQuery({
    queryKey: ["observation", project, traceId, observationId],
    queryFn: ({ signal }) => loadObservation(traceId, observationId, signal),
    enabled: project !== null,
    staleTime: 60_000,
  });
  const data = query.data;
  const downloadUrl = useMemo(
    () => (data && "tooBig" in data ? URL.createObjectURL(new Blob([data.tooBig], { type: "application/json" })) : null),
    [data],
  );
  useEffect(() => () => void (downloadUrl && URL.revokeObjectURL(downloadUrl)), [downloadUrl]);

  if (query.isPending) return <Spinner label="Loading the observation…" />;
  if (query.isError) {
    const gone = query.error instanceof ApiError && query.error.status === 404;
    return (
      <ErrorBanner
        message={gone ? `This trace has no observation ${observationId}.` : `Could not load the observation: ${query.error.message}`}
        onRetry={gone ? undefined : () => void query.refetch()}
      />
    );
  }
  if (!data) return null;
  if ("tooBig" in data) {
    return (
      <div className="banner banner-warning" role="alert">
        This observation is {(data.chars / 1_000_000).toFixed(1)} M characters of JSON, too large to show here.{" "}
        <a href={downloadUrl ?? undefined} download={`observation-${observationId}.json`}>
          Download it
        </a>
        .
      </div>
    );
  }
  const detail = data.detail;
  const failed = detail.level === "ERROR" || detail.level === "WARNING";
  return (
    <div className="observation-panel" data-testid="observation-panel" data-observation-id={detail.id}>
      <div className="observation-head">
        <span className={`type-badge type-${detail.type}`}>{TYPE_LABELS[detail.type] ?? detail.type.toUpperCase()}</span>
        <h2 data-testid="observation-name">{detail.name ?? "(unnamed)"}</h2>
      </div>
      <code className="muted">{detail.id}</code>
      {failed && detail.status_message ? (
        <div className={`banner ${detail.level === "ERROR" ? "banner-error" : "banner-warning"}`} data-testid="observation-error">
          <strong>{detail.level}</strong>: {detail.status_message}
        </div>
      ) : null}
      {detail.level === "ERROR" && !detail.status_message ? (
        <div className="banner banner-error" data-testid="observation-error">
          <strong>ERROR</strong> (no message)
        </div>
      ) : null}
      <Facts detail={detail} startOffsetMs={startOffsetMs} />
      <ChatView value={detail.input} label="Input" />
      <ChatView value={detail.output} label="Output" />
      <Usage detail={detail} />
      <Scores detail={detail} />
      <JsonSection title="Model parameters" value={detail.model_parameters} />
      <JsonSection title="Metadata" value={detail.metadata} />
      <JsonSection title="Attributes" value={detail.attributes} open={false} />
    </div>
  );
}
