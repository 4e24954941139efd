// One row of the trace page: the tree cell (indent, toggle, type, name, model, tokens, cost, error)
// and the timeline cell (the observation's bar on the trace's time axis), in one element, so that
// the tree and the waterfall scroll together under one virtualiser.
import { memo } from "react";
import { formatTokens } from "../format";
import { formatMs, formatObservationCost, TYPE_LABELS } from "./format";
import type { TraceTree } from "./tree";
import type { SkeletonColumns } from "./types";

const INDENT_PX = 14;
/** Deeper rows stop indenting (and say their depth): a 1,000-deep chain must stay readable. */
const MAX_INDENT_DEPTH = 24;

interface Props {
  node: number;
  row: number;
  top: number;
  columns: SkeletonColumns;
  tree: TraceTree;
  expanded: boolean;
  selected: boolean;
  match: boolean;
  onSelect: () => void;
  onToggle: () => void;
}

export const SpanRow = memo(function SpanRow({ node, row, top, columns, tree, expanded, selected, match, onSelect, onToggle }: Props) {
  const depth = tree.depth[node]!;
  const children = tree.childStart[node + 1]! - tree.childStart[node]!;
  const type = columns.type[node]!;
  const error = columns.error[node]!;
  const start = columns.start_ms[node]!;
  const duration = (columns.duration_ms[node] ?? null);
  const span = tree.spanMs > 0 ? tree.spanMs : 1;
  const left = (start / span) * 100;
  const width = duration === null ? 100 - left : (duration / span) * 100;
  const cost = formatObservationCost((columns.cost[node] ?? null), columns.cost_status[node]!);
  const tokens = (columns.tokens[node] ?? null);
  const model = (columns.model[node] ?? null);
  return (
    <div
      className={`span-row${selected ? " selected" : ""}${error ? " span-error" : ""}${match ? " span-match" : ""}`}
      style={{ transform: `translateY(${top}px)` }}
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={children > 0 ? expanded : undefined}
      aria-selected={selected}
      data-testid="span-row"
      data-index={row}
      data-observation-id={columns.id[node]!}
      onClick={onSelect}
    >
      <div className="span-tree-cell" style={{ paddingLeft: Math.min(depth, MAX_INDENT_DEPTH) * INDENT_PX + 4 }}>
        {children > 0 ? (
          <button
            type="button"
            className="span-toggle"
            aria-label={expanded ? "Collapse" : "Expand"}
            data-testid="span-toggle"
            onClick={(event) => {
              event.stopPropagation();
              onToggle();
            }}
          >
            {expanded ? "▾" : "▸"}
          </button>
        ) : (
          <span className="span-toggle" />
        )}
        {depth > MAX_INDENT_DEPTH ? <span className="muted span-depth">{depth}</span> : null}
        <span className={`type-badge type-${type}`} title={type}>
          {TYPE_LABELS[type] ?? type.toUpperCase()}
        </span>
        <span className="span-name" title={columns.name[node] ?? ""}>
          {columns.name[node] ?? "(unnamed)"}
        </span>
        {error ? <span className="span-error-badge">error</span> : null}
        {!expanded && children > 0 ? <span className="muted span-hidden">+{children}</span> : null}
        <span className="span-meta">
          {model ? <span className="span-model">{model}</span> : null}
          {tokens !== null ? (
            <span title={`${columns.input_tokens[node] ?? "?"} in, ${columns.output_tokens[node] ?? "?"} out`}>
              {formatTokens(tokens)} tok
            </span>
          ) : null}
          {cost.text ? (
            <span className={`cost-${cost.kind}`} title={cost.title}>
              {cost.text}
            </span>
          ) : null}
        </span>
      </div>
      <div className="span-timeline-cell">
        <div
          className={`span-bar type-bar-${type}${duration === null ? " span-bar-open" : ""}`}
          style={{ left: `${left}%`, width: `max(2px, ${width}%)` }}
        />
        <span className={`span-duration${labelPlace(left, width) === "inside" ? " inside" : ""}`} style={labelStyle(left, width)}>
          {duration === null ? "running" : formatMs(duration)}
        </span>
      </div>
    </div>
  );
});

/** The duration label goes after the bar, else before it, else inside it (a bar across the whole axis). */
function labelPlace(left: number, width: number): "after" | "before" | "inside" {
  if (left + width <= 80) return "after";
  return left >= 20 ? "before" : "inside";
}

function labelStyle(left: number, width: number): React.CSSProperties {
  switch (labelPlace(left, width)) {
    case "after":
      return { left: `${left + width + 0.5}%` };
    case "before":
      return { right: `${100 - left + 0.5}%` };
    default:
      return { left: `${left + 0.5}%` };
  }
}
