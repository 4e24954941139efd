// A collapsible JSON view. Provisional (the trace page with its tree and timeline replaces it):
// it renders every node it opens, so the caller gates it by size (see TraceDetailPage).
import { useState } from "react";

const LONG_STRING_CHARS = 2_000;
const OPEN_DEPTH = 2;
/** Children shown per object or array before a "show more" button. */
const CHILDREN_PER_STEP = 200;

function Primitive({ value }: { value: unknown }) {
  const [full, setFull] = useState(false);
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") {
    const long = value.length > LONG_STRING_CHARS;
    return (
      <span className="json-string">
        "{long && !full ? value.slice(0, LONG_STRING_CHARS) : value}"
        {long && !full ? (
          <button type="button" className="button button-quiet" onClick={() => setFull(true)}>
            … {value.length - LONG_STRING_CHARS} more characters
          </button>
        ) : null}
      </span>
    );
  }
  return <span className={`json-${typeof value}`}>{String(value)}</span>;
}

function Node({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const [shown, setShown] = useState(CHILDREN_PER_STEP);
  const label = name === null ? null : <span className="json-key">{name}: </span>;
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-line">
        {label}
        <Primitive value={value} />
      </div>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value as Record<string, unknown>);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  if (entries.length === 0) {
    return (
      <div className="json-line">
        {label}
        <span className="muted">{Array.isArray(value) ? "[]" : "{}"}</span>
      </div>
    );
  }
  return (
    <details className="json-node" open={depth < OPEN_DEPTH}>
      <summary>
        {label}
        <span className="muted">{summary}</span>
      </summary>
      <div className="json-children">
        {entries.slice(0, shown).map(([key, child]) => (
          <Node key={key} name={key} value={child} depth={depth + 1} />
        ))}
        {entries.length > shown ? (
          <button type="button" className="button button-quiet" onClick={() => setShown(shown + CHILDREN_PER_STEP)}>
            Show {Math.min(CHILDREN_PER_STEP, entries.length - shown)} more of {entries.length - shown}
          </button>
        ) : null}
      </div>
    </details>
  );
}

export function JsonTree({ value }: { value: unknown }) {
  return (
    <div className="json-tree" data-testid="json-tree">
      <Node name={null} value={value} depth={0} />
    </div>
  );
}
