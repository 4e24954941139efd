// The time range picker of the sessions and users pages: writes `range` into the URL.
import { RANGES, type TimeRange } from "./range";

export function RangeSelect({ value, onChange }: { value: TimeRange; onChange: (next: TimeRange) => void }) {
  const custom = value.from !== null || value.to !== null;
  return (
    <label className="filter">
      <span>Time range</span>
      <select
        aria-label="Time range"
        value={custom ? "custom" : (value.range ?? "")}
        onChange={(event) => onChange({ range: event.target.value || null, from: null, to: null })}
      >
        <option value="">All time</option>
        {Object.entries(RANGES).map(([key, { label }]) => (
          <option key={key} value={key}>
            {label}
          </option>
        ))}
        {custom ? <option value="custom">{`${value.from ?? "…"} – ${value.to ?? "…"}`}</option> : null}
      </select>
    </label>
  );
}
