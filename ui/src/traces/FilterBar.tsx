// The list's filters. Each change is written to the URL (which the list reads), so the browser's
// back button, a reload and a shared link all reproduce the view.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { apiRequest } from "../api/client";
import type { TraceFilterOptions } from "../api/types";
import {
  LEVELS,
  NUMBER_FILTERS,
  RANGES,
  TEXT_FILTERS,
  scoreOrNull,
  type Level,
  type TextFilterKey,
  type TraceFilters,
} from "./filters";
import { SearchBox } from "./SearchBox";

interface Props {
  filters: TraceFilters;
  onChange: (filters: TraceFilters) => void;
  busy: boolean;
  project: string | null;
  /** `from`/`to` for the suggestions: the list's range, else a bounded recent one. */
  optionsRange: { from: string; to: string | null };
}

/** Which text filters get suggestions, and from which field of /trace-filter-options. */
const SUGGESTED: Partial<Record<TextFilterKey, keyof Omit<TraceFilterOptions, "truncated">>> = {
  name: "names",
  model: "models",
  environment: "environments",
  release: "releases",
};

/** A text filter applied on Enter or when the field loses focus, not on every key. */
function TextFilter({
  id,
  label,
  value,
  onCommit,
  options,
  onFocus,
  placeholder = "any",
  inputMode,
  className,
}: {
  id: string;
  label: string;
  value: string | null;
  onCommit: (value: string | null) => void;
  options?: string[];
  onFocus?: () => void;
  placeholder?: string;
  inputMode?: "decimal";
  className?: string;
}) {
  const [draft, setDraft] = useState(value ?? "");
  const cancelled = useRef(false); // Escape: leave the field without applying what was typed
  useEffect(() => setDraft(value ?? ""), [value]);
  const commit = () => {
    if (cancelled.current) {
      cancelled.current = false;
      return;
    }
    const next = draft.trim() || null;
    if (next !== value) onCommit(next);
  };
  return (
    <label className="filter">
      <span>{label}</span>
      <input
        aria-label={`${label} filter`}
        value={draft}
        placeholder={placeholder}
        inputMode={inputMode}
        className={className}
        list={options ? `${id}-options` : undefined}
        onFocus={onFocus}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          // Enter applies and leaves the field, so j/k move in the list straight away.
          if (event.key === "Enter") event.currentTarget.blur();
          if (event.key === "Escape") {
            cancelled.current = true;
            setDraft(value ?? "");
            event.currentTarget.blur();
          }
        }}
      />
      {options ? (
        <datalist id={`${id}-options`} data-testid={`${id}-options`}>
          {options.map((option) => (
            <option key={option} value={option} />
          ))}
        </datalist>
      ) : null}
    </label>
  );
}

/** <input type="datetime-local"> speaks local wall time without a zone; the URL keeps ISO with offset. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value); // parsed as local time
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A date-time bound applied when complete and the field is left (or on Enter), not on every
 * segment typed: each applied change is a history entry. */
function DateFilter({ label, value, onCommit }: { label: string; value: string | null; onCommit: (v: string | null) => void }) {
  const [draft, setDraft] = useState(toLocalInput(value));
  useEffect(() => setDraft(toLocalInput(value)), [value]);
  const commit = () => {
    const next = fromLocalInput(draft);
    if (next !== value) onCommit(next);
  };
  return (
    <label className="filter">
      <span>{label}</span>
      <input
        type="datetime-local"
        aria-label={label}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => event.key === "Enter" && event.currentTarget.blur()}
      />
    </label>
  );
}

export function FilterBar({ filters, onChange, busy, project, optionsRange }: Props) {
  const [tagDraft, setTagDraft] = useState("");
  // Suggestions are read when a filter field is first focused, not with every list: they cost a
  // DISTINCT over the range's rows.
  const [wantOptions, setWantOptions] = useState(false);
  const optionsQuery = useQuery({
    queryKey: ["trace-filter-options", project, optionsRange.from, optionsRange.to],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams({ from: optionsRange.from });
      if (optionsRange.to) params.set("to", optionsRange.to);
      return apiRequest<TraceFilterOptions>(`/api/v1/trace-filter-options?${params}`, { signal });
    },
    enabled: wantOptions && project !== null,
    staleTime: 5 * 60_000,
  });
  const custom = filters.from !== null || filters.to !== null;
  const [showCustom, setShowCustom] = useState(custom);
  useEffect(() => setShowCustom(custom), [custom]);
  const set = (patch: Partial<TraceFilters>) => onChange({ ...filters, ...patch });

  const addTag = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== "Enter") return;
    const tag = tagDraft.trim();
    if (tag && !filters.tags.includes(tag)) set({ tags: [...filters.tags, tag] });
    setTagDraft("");
  };

  const rangeValue = showCustom ? "custom" : (filters.range ?? "");
  return (
    <section className="filterbar" aria-label="Filters" aria-busy={busy}>
      <SearchBox value={filters.search} onCommit={(search) => set({ search })} />
      <label className="filter">
        <span>Time</span>
        <select
          aria-label="Time range"
          value={rangeValue}
          onChange={(event) => {
            const value = event.target.value;
            if (value === "custom") {
              setShowCustom(true);
              return;
            }
            setShowCustom(false);
            set({ range: value || null, from: null, to: null });
          }}
        >
          <option value="">All time</option>
          {Object.entries(RANGES).map(([key, { label }]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {showCustom ? (
        <>
          <DateFilter label="From" value={filters.from} onCommit={(from) => set({ range: null, from })} />
          <DateFilter label="To" value={filters.to} onCommit={(to) => set({ range: null, to })} />
        </>
      ) : null}
      {TEXT_FILTERS.map(({ key, label }) => (
        <TextFilter
          key={key}
          id={`filter-${key}`}
          label={label}
          value={filters[key as TextFilterKey]}
          onCommit={(value) => set({ [key]: value } as Partial<TraceFilters>)}
          options={SUGGESTED[key] ? (optionsQuery.data?.[SUGGESTED[key]] ?? []) : undefined}
          onFocus={SUGGESTED[key] ? () => setWantOptions(true) : undefined}
        />
      ))}
      <label className="filter">
        <span>Level</span>
        <select
          aria-label="Level"
          value={filters.level ?? ""}
          onChange={(event) => set({ level: (event.target.value || null) as Level | null })}
        >
          <option value="">any</option>
          {LEVELS.map((level) => (
            <option key={level} value={level}>
              {level}
            </option>
          ))}
        </select>
      </label>
      {/* The totals filters (API cost_min/max, latency_min/max, score): applied on Enter or blur. */}
      {NUMBER_FILTERS.map(({ key, label }) => (
        <TextFilter
          key={key}
          id={`filter-${key}`}
          label={label}
          value={filters[key]}
          placeholder="any"
          inputMode="decimal"
          className="filter-number"
          onCommit={(value) => set({ [key]: value !== null && /^\d+(\.\d*)?$|^\.\d+$/.test(value) ? value : null })}
        />
      ))}
      <TextFilter
        id="filter-score"
        label="Score"
        value={filters.score}
        placeholder="name>=0.8"
        onCommit={(value) => set({ score: scoreOrNull(value) })}
      />
      <label className="filter">
        <span>Tags</span>
        <input
          aria-label="Add tag filter"
          value={tagDraft}
          placeholder="tag + Enter"
          onChange={(event) => setTagDraft(event.target.value)}
          onKeyDown={addTag}
        />
      </label>
      {filters.tags.map((tag) => (
        <button
          key={tag}
          type="button"
          className="chip chip-removable"
          title="Remove this tag filter"
          onClick={() => set({ tags: filters.tags.filter((t) => t !== tag) })}
        >
          {tag} <span aria-hidden="true">×</span>
        </button>
      ))}
    </section>
  );
}
