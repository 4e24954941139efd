import { describe, expect, it } from "vitest";
import type { AuthInfo } from "../api/types";
import { EMPTY_PRICE_FORM, formatEffectiveFrom, formatRate, priceBody, priceFormErrors, settingsRights } from "./rules";

const me = (role: string | null, isAdmin = false): AuthInfo => ({
  user: { id: 1, email: "a@example.com", name: "a", is_admin: isAdmin },
  projects: role ? [{ name: "p", role }] : [],
});

describe("settingsRights", () => {
  it("lets owners manage, members set prices, viewers read", () => {
    expect(settingsRights(me("owner"), "p")).toMatchObject({ manage: true, writePrices: true });
    expect(settingsRights(me("member"), "p")).toMatchObject({ manage: false, writePrices: true });
    expect(settingsRights(me("viewer"), "p")).toMatchObject({ manage: false, writePrices: false });
  });
  it("treats admins as owners of every project, and no role as nothing", () => {
    expect(settingsRights(me(null, true), "elsewhere")).toMatchObject({ role: "owner", manage: true });
    expect(settingsRights(me("owner"), "other")).toMatchObject({ role: null, manage: false, writePrices: false });
  });
});

describe("the price form", () => {
  const form = { ...EMPTY_PRICE_FORM, model: "acme-7b", rates: { ...EMPTY_PRICE_FORM.rates, input_mtok: "0.15" } };
  it("needs a model and one well-formed rate", () => {
    expect(priceFormErrors(EMPTY_PRICE_FORM)).toEqual([
      "Give the model name (or a glob such as ft:acme-*).",
      "Give at least one rate.",
    ]);
    expect(priceFormErrors(form)).toEqual([]);
    expect(priceFormErrors({ ...form, rates: { ...form.rates, output_mtok: "-1" } })[0]).toMatch(/^Output/);
    expect(priceFormErrors({ ...form, rates: { ...form.rates, output_mtok: "1e3" } })).toHaveLength(1);
  });
  it("sends decimals as text, no date as always, a date as UTC midnight", () => {
    expect(priceBody({ ...form, provider: " " })).toMatchObject({
      model: "acme-7b",
      provider: null,
      effective_from: "1970-01-01T00:00:00Z",
      input_mtok: "0.15",
      output_mtok: null,
      note: null,
    });
    expect(priceBody({ ...form, from: "2026-11-01" }).effective_from).toBe("2026-11-01T00:00:00Z");
  });
  it("reads dates and rates back as they were typed", () => {
    expect(formatEffectiveFrom("1970-01-01T00:00:00Z")).toBe("always");
    expect(formatEffectiveFrom("2026-11-01T00:00:00Z")).toBe("2026-11-01");
    expect(formatRate("0.150000000000")).toBe("0.15");
    expect(formatRate("3.000000000000")).toBe("3");
    expect(formatRate("12")).toBe("12");
    expect(formatRate(null)).toBe("—");
  });
});
