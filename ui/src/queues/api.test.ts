import { describe, expect, it } from "vitest";
import { EMPTY_SCORE_CONFIG_FORM } from "../settings/scoreConfigs";
import { EMPTY_FILTERS } from "../traces/filters";
import {
  EMPTY_NEW_QUEUE, EMPTY_OBSERVATION_FILTERS, filtersBody, newQueueBody, observationFiltersBody, ownConfig, sampleRate,
} from "./api";

describe("newQueueBody", () => {
  it("sends project configs by name, then the queue's own, with the kind and reviews", () => {
    const own = { name: "ok", data_type: "BOOLEAN" as const, min_value: null, max_value: null, categories: null, description: null };
    const { body, errors } = newQueueBody({
      ...EMPTY_NEW_QUEUE, name: " support ", description: "", kind: "session", reviewsPerItem: "2", picked: ["tone"], own: [own],
    });
    expect(errors).toEqual([]);
    expect(body).toEqual({ name: "support", description: null, kind: "session", reviews_per_item: 2, score_configs: ["tone", own] });
  });
  it("says what is missing or wrong", () => {
    expect(newQueueBody({ ...EMPTY_NEW_QUEUE, reviewsPerItem: "0" }).errors).toEqual([
      "Give the queue a name.",
      "Reviews per item: a whole number from 1 to 100.",
      "Choose at least one score: a project score config, or one of the queue's own.",
    ]);
    expect(newQueueBody({ ...EMPTY_NEW_QUEUE, name: "a/b", picked: ["x"] }).errors).toEqual(["A queue's name cannot hold '/'."]);
    expect(newQueueBody({ ...EMPTY_NEW_QUEUE, name: "q", kind: "", picked: ["x", "x"] }).errors).toEqual(["The score x is there twice."]);
    expect(newQueueBody({ ...EMPTY_NEW_QUEUE, name: "q", kind: "", picked: ["x"] }).body?.kind).toBeNull();
  });
});

describe("ownConfig", () => {
  it("keeps categories as labels and refuses numbered ones", () => {
    const form = { ...EMPTY_SCORE_CONFIG_FORM, name: "tone", dataType: "CATEGORICAL" as const, categories: "polite\nrude" };
    expect(ownConfig(form).config?.categories).toEqual(["polite", "rude"]);
    expect(ownConfig({ ...form, categories: "polite = 1" }).errors[0]).toContain("labels only");
    expect(ownConfig({ ...form, name: "" }).errors).toContain("Give the score's name (the name scores are sent with).");
  });
});

describe("filtersBody", () => {
  it("gives the API's names, lists for tags and scores, numbers for latency, no order", () => {
    const filters = {
      ...EMPTY_FILTERS, name: "chat", user: "u1", tags: ["a", "b"], score: "tone>=1", latencyMin: "2", costMax: "0.5",
      sort: "cost", order: "asc" as const, range: "24h",
    };
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(filtersBody(filters, now)).toEqual({
      from: "2026-11-30T12:00:00.000Z", name: "chat", user_id: "u1", tags: ["a", "b"], cost_max: "0.5", latency_min: 2, score: ["tone>=1"],
    });
    expect(filtersBody(EMPTY_FILTERS, now)).toEqual({});
  });
});

describe("sampleRate", () => {
  it("reads a percentage above 0 and up to 100", () => {
    expect(sampleRate("10")).toBe(0.1);
    expect(sampleRate("100")).toBe(1);
    expect(["0", "101", "", "ten", "-5"].map(sampleRate)).toEqual([null, null, null, null, null]);
  });
});

describe("observationFiltersBody", () => {
  it("sends the filled filters under the observation list's names and resolves a range", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(observationFiltersBody(EMPTY_OBSERVATION_FILTERS, now)).toEqual({});
    const filters = { type: "generation", model: " gpt-4o ", name: "", level: "ERROR", traceId: "t1", range: "24h" };
    expect(observationFiltersBody(filters, now)).toEqual({
      type: "generation", model: "gpt-4o", level: "ERROR", trace_id: "t1", from: "2026-11-30T12:00:00.000Z",
    });
    expect(observationFiltersBody({ ...EMPTY_OBSERVATION_FILTERS, range: "never" }, now)).toEqual({});
  });
});
