// One value of A against the same value of B: a unified line diff with the changed words marked,
// or both sides next to each other when the diff ran out of its time budget.
import { useMemo, useState } from "react";
import { describeSummary, diffTexts, readable, summariseDiff, type DiffLine } from "./diffText";

/** Lines rendered before "show all": a 50,000-line prompt diff would make the page crawl. */
const MAX_LINES = 1_500;
/** Characters per side shown when there is no diff. */
const MAX_RAW_CHARS = 20_000;

function Line({ line }: { line: DiffLine }) {
  const mark = line.kind === "added" ? "+" : line.kind === "removed" ? "-" : " ";
  return (
    <div className={`diff-line diff-${line.kind}`}>
      <span className="diff-mark" aria-hidden="true">
        {mark}
      </span>
      <span className="diff-text">
        {line.words
          ? line.words
              .filter((w) => (line.kind === "added" ? !w.removed : !w.added))
              .map((w, n) => (
                <span key={n} className={w.added || w.removed ? "diff-word" : undefined}>
                  {w.value}
                </span>
              ))
          : line.text || " "}
      </span>
    </div>
  );
}

export function DiffView({ label, a, b, testId }: { label: string; a: unknown; b: unknown; testId: string }) {
  const textA = useMemo(() => readable(a), [a]);
  const textB = useMemo(() => readable(b), [b]);
  const diff = useMemo(() => diffTexts(textA, textB), [textA, textB]);
  const summary = summariseDiff(diff);
  const [all, setAll] = useState(false);
  const shown = all ? diff.lines : diff.lines.slice(0, MAX_LINES);
  const empty = textA === "" && textB === "";
  return (
    <section className="diff" data-testid={testId} data-identical={summary.identical}>
      <h3>
        {label}{" "}
        <span className="muted" data-testid={`${testId}-summary`}>
          {empty ? "none on either side" : diff.complete ? describeSummary(summary) : "too different to diff in time"}
        </span>
      </h3>
      {empty ? null : diff.complete ? (
        <div className="diff-body" role="table" aria-label={`${label} diff`}>
          {shown.map((line, n) => (
            <Line key={n} line={line} />
          ))}
          {shown.length < diff.lines.length ? (
            <button type="button" className="button button-quiet" onClick={() => setAll(true)}>
              Show all {diff.lines.length.toLocaleString("en-US")} lines
            </button>
          ) : null}
        </div>
      ) : (
        <div className="diff-sides">
          {[textA, textB].map((text, n) => (
            <pre key={n} className="diff-raw">
              {text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS)}\n… (${text.length.toLocaleString("en-US")} characters)` : text}
            </pre>
          ))}
        </div>
      )}
    </section>
  );
}
