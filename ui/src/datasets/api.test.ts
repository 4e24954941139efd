import { describe, expect, it } from "vitest";
import { describeChange, jsonLine } from "./api";

describe("describeChange", () => {
  it("names only what happened", () => {
    expect(describeChange({ version: 3, changed: true, created: ["a", "b"], updated: [], deleted: [], unchanged: 1 })).toBe(
      "Version 3: 2 created, 1 unchanged",
    );
    expect(describeChange({ version: 4, changed: true, created: [], updated: [], deleted: ["x"], unchanged: 0 })).toBe(
      "Version 4: 1 deleted",
    );
  });
  it("says when no version was made", () => {
    expect(describeChange({ version: 2, changed: false, created: [], updated: [], deleted: [], unchanged: 2 })).toMatch(
      /No new version.*still version 2/,
    );
  });
});

describe("jsonLine", () => {
  it("shows text as text and anything else as JSON", () => {
    expect(jsonLine("Paris")).toBe("Paris");
    expect(jsonLine({ q: 1 })).toBe('{"q":1}');
    expect(jsonLine(null)).toBe("");
    expect(jsonLine(0)).toBe("0");
  });
});
