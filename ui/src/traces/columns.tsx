// The trace list's columns (TanStack Table). Cells that name a user, session or tag filter by it.
import { createColumnHelper } from "@tanstack/react-table";
import type { TraceSummary } from "../api/types";
import { formatAge, formatCost, formatLatency, formatTimestamp, formatTokens, traceLevel } from "../format";
import type { TraceFilters } from "./filters";

const column = createColumnHelper<TraceSummary>();

export type AddFilter = (patch: Partial<TraceFilters>) => void;

function FilterLink({ value, label, onClick }: { value: string; label: string; onClick: () => void }) {
  return (
    <button
      type="button"
      className="cell-link"
      title={`Show only ${label} ${value}`}
      onClick={(event) => {
        event.stopPropagation(); // the row's own click opens the trace
        onClick();
      }}
    >
      {value}
    </button>
  );
}

/** Column widths for the CSS grid both the header and the virtual rows use. */
export const GRID_TEMPLATE = "11rem minmax(10rem, 2fr) minmax(7rem, 1fr) minmax(7rem, 1fr) minmax(8rem, 1.3fr) 6rem 6.5rem 8rem 5.5rem";

export function traceColumns(addFilter: AddFilter, filters: TraceFilters) {
  return [
    column.accessor("timestamp", {
      header: "Time",
      cell: (info) => <span title={formatAge(info.getValue())}>{formatTimestamp(info.getValue())}</span>,
    }),
    column.accessor("name", {
      header: "Name",
      cell: (info) => <span className="strong">{info.getValue() ?? <span className="muted">(unnamed)</span>}</span>,
    }),
    column.accessor("user_id", {
      header: "User",
      cell: (info) => {
        const value = info.getValue();
        return value ? <FilterLink value={value} label="user" onClick={() => addFilter({ user: value })} /> : null;
      },
    }),
    column.accessor("session_id", {
      header: "Session",
      cell: (info) => {
        const value = info.getValue();
        return value ? (
          <FilterLink value={value} label="session" onClick={() => addFilter({ session: value })} />
        ) : null;
      },
    }),
    column.accessor("tags", {
      header: "Tags",
      cell: (info) => (
        <span className="tags">
          {info.getValue().map((tag) => (
            <FilterLink
              key={tag}
              value={tag}
              label="tag"
              onClick={() => !filters.tags.includes(tag) && addFilter({ tags: [...filters.tags, tag] })}
            />
          ))}
        </span>
      ),
    }),
    column.accessor("latency_s", {
      header: "Latency",
      meta: { numeric: true },
      cell: (info) => formatLatency(info.getValue()),
    }),
    column.accessor("total_tokens", {
      header: "Tokens",
      meta: { numeric: true },
      cell: (info) => {
        const row = info.row.original;
        return (
          <span title={`${formatTokens(row.input_tokens)} in, ${formatTokens(row.output_tokens)} out`}>
            {formatTokens(info.getValue())}
          </span>
        );
      },
    }),
    column.accessor("total_cost", {
      header: "Cost",
      meta: { numeric: true },
      cell: (info) => {
        const cost = formatCost(info.row.original);
        return (
          <span className={`cost cost-${cost.kind}`} title={cost.title}>
            {cost.text}
          </span>
        );
      },
    }),
    column.accessor("error_count", {
      header: "Level",
      cell: (info) => {
        const level = traceLevel(info.row.original);
        const errors = info.getValue();
        return (
          <span
            className={`level level-${level.toLowerCase()}`}
            title={errors > 0 ? `${errors} observation${errors === 1 ? "" : "s"} at ERROR` : "no error"}
          >
            {level === "ERROR" ? "ERROR" : "ok"}
          </span>
        );
      },
    }),
  ];
}
