// The trace list's columns (TanStack Table). Cells that name a user, session or tag filter by it.
import { createColumnHelper } from "@tanstack/react-table";
import type { TraceSummary } from "../api/types";
import { formatAge, formatCost, formatLatency, formatTimestamp, formatTokens, traceLevel } from "../format";
import { nextSort, type TraceFilters } from "./filters";

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

/** A header that orders the list by its column (the API's `sort`): descending first, then ascending. */
function SortHeader({ label, sort, filters, addFilter }: { label: string; sort: string; filters: TraceFilters; addFilter: AddFilter }) {
  const active = (filters.sort ?? "time") === sort;
  const ascending = active && filters.order === "asc";
  return (
    <button
      type="button"
      className={`sort-header ${active ? "sorted" : ""}`}
      data-sort={sort}
      data-order={active ? (ascending ? "asc" : "desc") : undefined}
      title={active && !ascending ? `Sort by ${label.toLowerCase()}, ascending` : `Sort by ${label.toLowerCase()}, descending`}
      onClick={() => addFilter(nextSort(filters, sort))}
    >
      {label}
      {active ? <span aria-hidden="true">{ascending ? " ↑" : " ↓"}</span> : null}
    </button>
  );
}

function scoreText(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Column widths for the CSS grid both the header and the virtual rows use. */
export const GRID_TEMPLATE =
  "11rem minmax(10rem, 2fr) minmax(7rem, 1fr) minmax(7rem, 1fr) minmax(8rem, 1.3fr) 6rem 6.5rem 8rem 5.5rem minmax(7rem, 1fr)";

export function traceColumns(addFilter: AddFilter, filters: TraceFilters) {
  const sortable = (label: string, sort: string) => () => (
    <SortHeader label={label} sort={sort} filters={filters} addFilter={addFilter} />
  );
  const scoreSort = filters.sort?.startsWith("score:") ? filters.sort.slice(6) : null;
  return [
    column.accessor("timestamp", {
      header: sortable("Time", "time"),
      cell: (info) => <span title={formatAge(info.getValue())}>{formatTimestamp(info.getValue())}</span>,
    }),
    column.accessor("name", {
      header: sortable("Name", "name"),
      cell: (info) => <span className="strong">{info.getValue() ?? <span className="muted">(unnamed)</span>}</span>,
    }),
    column.accessor("user_id", {
      header: sortable("User", "user"),
      cell: (info) => {
        const value = info.getValue();
        return value ? <FilterLink value={value} label="user" onClick={() => addFilter({ user: value })} /> : null;
      },
    }),
    column.accessor("session_id", {
      header: sortable("Session", "session"),
      cell: (info) => {
        const value = info.getValue();
        return value ? (
          <FilterLink value={value} label="session" onClick={() => addFilter({ session: value })} />
        ) : null;
      },
    }),
    column.accessor("tags", {
      header: sortable("Tags", "tags"),
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
      header: sortable("Latency", "latency"),
      meta: { numeric: true },
      cell: (info) => formatLatency(info.getValue()),
    }),
    column.accessor("total_tokens", {
      header: sortable("Tokens", "tokens"),
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
      header: sortable("Cost", "cost"),
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
      header: sortable("Level", "level"),
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
    column.accessor("scores", {
      // Sorted by the score chosen in a cell (`sort=score:<name>`); the header then flips its order.
      header: () =>
        scoreSort !== null ? (
          <SortHeader label={`Scores: ${scoreSort}`} sort={`score:${scoreSort}`} filters={filters} addFilter={addFilter} />
        ) : (
          "Scores"
        ),
      cell: (info) => (
        <span className="scores">
          {Object.entries(info.getValue() ?? {}).map(([name, value]) => (
            <button
              key={name}
              type="button"
              className="cell-link"
              title={`Sort by ${name}, highest first`}
              onClick={(event) => {
                event.stopPropagation(); // the row's own click opens the trace
                addFilter({ sort: `score:${name}`, order: null });
              }}
            >
              {name} {scoreText(value)}
            </button>
          ))}
        </span>
      ),
    }),
  ];
}
