// The datasets API (/api/v1/datasets) as the UI uses it: shapes and calls, one place.
import { apiRequest } from "../api/client";

export interface Dataset {
  name: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  current_version: number;
  item_count: number;
}

export interface DatasetVersion {
  version: number;
  created_at: string;
  note: string | null;
  item_count: number;
}

export interface DatasetItem {
  id: string;
  input: unknown;
  expected_output: unknown;
  metadata: Record<string, unknown> | null;
  source_trace_id: string | null;
  source_observation_id: string | null;
  version: number;
}

export interface ItemPage {
  version: number;
  data: DatasetItem[];
  next_cursor: string | null;
}

/** What one change did: the new version, or the current one when nothing changed. */
export interface Change {
  version: number;
  changed: boolean;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: number;
}

export interface ItemIn {
  id?: string;
  input: unknown;
  expected_output: unknown;
  metadata: Record<string, unknown> | null;
  source_trace_id?: string | null;
  source_observation_id?: string | null;
}

const base = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

export const datasetsApi = {
  list: () => apiRequest<{ data: Dataset[] }>("/api/v1/datasets").then((body) => body.data),
  get: (name: string) => apiRequest<Dataset>(base(name)),
  create: (name: string, description: string | null) =>
    apiRequest<Dataset>("/api/v1/datasets", { method: "POST", body: { name, description } }),
  versions: (name: string) => apiRequest<{ data: DatasetVersion[] }>(`${base(name)}/versions`).then((body) => body.data),
  items: (name: string, version: number | null, limit: number, cursor: string | null) => {
    const params = new URLSearchParams({ limit: String(limit) });
    // A cursor keeps the version it was issued for; the version goes only with the first page.
    if (cursor !== null) params.set("cursor", cursor);
    else if (version !== null) params.set("version", String(version));
    return apiRequest<ItemPage>(`${base(name)}/items?${params}`);
  },
  upsert: (name: string, items: ItemIn[], note: string | null) =>
    apiRequest<Change>(`${base(name)}/items`, { method: "POST", body: { items, note } }),
  remove: (name: string, itemId: string) =>
    apiRequest<Change>(`${base(name)}/items/${encodeURIComponent(itemId)}`, { method: "DELETE" }),
  fromTraces: (name: string, traceIds: string[]) =>
    apiRequest<Change>(`${base(name)}/items/from-traces`, { method: "POST", body: { trace_ids: traceIds } }),
};

/** A change in words: "version 4: 2 created, 1 unchanged", or why no version was made. */
export function describeChange(change: Change): string {
  if (!change.changed) {
    return `No new version: every item was already stored as it is (still version ${change.version})`;
  }
  const parts = [
    change.created.length ? `${change.created.length} created` : null,
    change.updated.length ? `${change.updated.length} updated` : null,
    change.deleted.length ? `${change.deleted.length} deleted` : null,
    change.unchanged ? `${change.unchanged} unchanged` : null,
  ].filter((part) => part !== null);
  return `Version ${change.version}: ${parts.join(", ")}`;
}

/** A JSON value on one line, for a table cell (the full text goes in its title). */
export function jsonLine(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
