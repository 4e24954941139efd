// Full-text search of the traces' inputs and outputs (`search` in the URL and the API). Applied
// on Enter only: each search is a request over the index and a history entry, not one per key.
import { useEffect, useState } from "react";

export function SearchBox({ value, onCommit }: { value: string | null; onCommit: (value: string | null) => void }) {
  const [draft, setDraft] = useState(value ?? "");
  useEffect(() => setDraft(value ?? ""), [value]);
  return (
    <label className="filter filter-search">
      <span>Search</span>
      <input
        type="search"
        aria-label="Search inputs and outputs"
        title="Words in the inputs or outputs, in order; the last word may be the start of one. Japanese or Chinese: any part. Enter to search."
        placeholder="text in inputs/outputs + Enter"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            const next = draft.trim() || null;
            if (next !== value) onCommit(next);
            event.currentTarget.blur(); // so j/k move in the list straight away
          }
          if (event.key === "Escape") {
            setDraft(value ?? "");
            event.currentTarget.blur();
          }
        }}
      />
    </label>
  );
}
