// Who may change what on the settings page, and the price form's checks. Pure, unit-tested
// (rules.test.ts). The server enforces the same rules (theodolite/server/access.py); the UI only
// disables what would be refused and says why.
import type { AuthInfo } from "../api/types";
import type { PriceInput } from "./api";

export interface SettingsRights {
  role: string | null;
  isAdmin: boolean;
  /** API keys and members: owners (admins act as owners everywhere). */
  manage: boolean;
  /** Price overrides are project data: members and owners. */
  writePrices: boolean;
}

export function settingsRights(me: AuthInfo | null | undefined, project: string | null): SettingsRights {
  const isAdmin = Boolean(me?.user.is_admin);
  const role = isAdmin ? "owner" : (me?.projects.find((p) => p.name === project)?.role ?? null);
  return { role, isAdmin, manage: role === "owner", writePrices: role === "owner" || role === "member" };
}

export const RATE_FIELDS = [
  ["input_mtok", "Input"],
  ["output_mtok", "Output"],
  ["cache_read_mtok", "Cache read"],
  ["cache_write_mtok", "Cache write"],
  ["output_reasoning_mtok", "Reasoning"],
] as const;
export type RateField = (typeof RATE_FIELDS)[number][0];

export interface PriceForm {
  model: string;
  provider: string;
  /** yyyy-mm-dd from a date input, "" for "always". */
  from: string;
  rates: Record<RateField, string>;
  note: string;
}

export const EMPTY_PRICE_FORM: PriceForm = {
  model: "",
  provider: "",
  from: "",
  rates: { input_mtok: "", output_mtok: "", cache_read_mtok: "", cache_write_mtok: "", output_reasoning_mtok: "" },
  note: "",
};

/** The server's "always" (an override without a date is in force from 1970). */
export const ALWAYS = "1970-01-01T00:00:00Z";
const DECIMAL = /^\d+(\.\d+)?$/;

/** The form's problems, in words; empty when the server should accept it. */
export function priceFormErrors(form: PriceForm): string[] {
  const errors: string[] = [];
  if (form.model.trim() === "") errors.push("Give the model name (or a glob such as ft:acme-*).");
  let anyRate = false;
  for (const [field, label] of RATE_FIELDS) {
    const value = form.rates[field].trim();
    if (value === "") continue;
    anyRate = true;
    if (!DECIMAL.test(value)) errors.push(`${label}: a price in USD per million tokens, such as 0.15 (not "${value}").`);
  }
  if (!anyRate) errors.push("Give at least one rate.");
  if (form.from !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(form.from)) errors.push("The date reads yyyy-mm-dd.");
  return errors;
}

/** The PUT /api/v1/prices body: decimals stay text, so nothing is rounded through a float. */
export function priceBody(form: PriceForm): PriceInput {
  const rate = (field: RateField) => (form.rates[field].trim() === "" ? null : form.rates[field].trim());
  return {
    model: form.model.trim(),
    provider: form.provider.trim() === "" ? null : form.provider.trim(),
    effective_from: form.from === "" ? ALWAYS : `${form.from}T00:00:00Z`,
    input_mtok: rate("input_mtok"),
    output_mtok: rate("output_mtok"),
    cache_read_mtok: rate("cache_read_mtok"),
    cache_write_mtok: rate("cache_write_mtok"),
    output_reasoning_mtok: rate("output_reasoning_mtok"),
    note: form.note.trim() === "" ? null : form.note.trim(),
  };
}

/** An override's date as listed: "always" for the server's 1970 default, else the UTC day. */
export function formatEffectiveFrom(iso: string): string {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  if (when.getTime() <= 0) return "always";
  const day = when.toISOString().slice(0, 10);
  return when.toISOString().slice(11, 19) === "00:00:00" ? day : when.toISOString().replace(".000Z", "Z");
}

/** A decimal as text, without the trailing zeros PostgreSQL's numeric(24,12) adds. */
export function formatRate(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const text = String(value);
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}
