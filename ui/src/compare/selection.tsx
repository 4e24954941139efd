// Choosing traces in the list: a checkbox column. Two of them can be compared (the comparison
// itself lives in its URL, /compare?a=&b=); any number can be added to a dataset at once.
import { createColumnHelper } from "@tanstack/react-table";
import { useCallback, useState } from "react";
import { useNavigate } from "react-router";
import type { TraceSummary } from "../api/types";

/** The checkbox column's width, put in front of the list's grid template. */
export const SELECT_COLUMN_WIDTH = "1.75rem";

export function useCompareSelection() {
  const [chosen, setChosen] = useState<string[]>([]);
  const toggle = useCallback(
    (id: string) =>
      setChosen((current) => (current.includes(id) ? current.filter((c) => c !== id) : [...current, id])),
    [],
  );
  return { chosen, toggle, clear: useCallback(() => setChosen([]), []) };
}

/** `?a=&b=` with the project last, as every view's URL. */
export function compareHref(a: string, b: string, projectQuery: string): string {
  const params = new URLSearchParams({ a, b });
  const project = new URLSearchParams(projectQuery).get("project");
  if (project) params.set("project", project);
  return `/compare?${params}`;
}

const column = createColumnHelper<TraceSummary>();

export function compareColumn(chosen: string[], toggle: (id: string) => void) {
  return column.display({
    id: "compare",
    header: () => <span className="visually-hidden">Select</span>,
    cell: (info) => {
      const id = info.row.original.id;
      return (
        <span className="compare-select" onClick={(event) => event.stopPropagation()}>
          <input
            type="checkbox"
            aria-label={`Select trace ${id}`}
            data-testid="compare-check"
            checked={chosen.includes(id)}
            onChange={() => toggle(id)}
          />
        </span>
      );
    },
  });
}

export function CompareButton({ chosen, projectQuery, onClear }: { chosen: string[]; projectQuery: string; onClear: () => void }) {
  const navigate = useNavigate();
  if (chosen.length === 0) return null;
  return (
    <>
      <button
        type="button"
        className="button button-primary"
        disabled={chosen.length !== 2}
        title={
          chosen.length === 2
            ? "Compare the two selected traces"
            : chosen.length < 2
              ? "Select a second trace"
              : "Compare takes two traces: select only two"
        }
        onClick={() => navigate(compareHref(chosen[0]!, chosen[1]!, projectQuery))}
      >
        {chosen.length <= 2 ? `Compare ${chosen.length}/2` : "Compare"}
      </button>
      <button type="button" className="button button-quiet" onClick={onClear}>
        Clear selection
      </button>
    </>
  );
}
