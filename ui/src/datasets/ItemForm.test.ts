import { describe, expect, it } from "vitest";
import { parseJsonField } from "./ItemForm";

describe("parseJsonField", () => {
  it("reads JSON, and an empty field as null", () => {
    expect(parseJsonField("Input", '{"q": [1, 2]}')).toEqual({ value: { q: [1, 2] } });
    expect(parseJsonField("Input", '"Paris"')).toEqual({ value: "Paris" });
    expect(parseJsonField("Input", "  ")).toEqual({ value: null });
    expect(parseJsonField("Input", "0")).toEqual({ value: 0 });
  });
  it("names the field whose text is not JSON", () => {
    const result = parseJsonField("Expected output", "Paris");
    expect("error" in result && result.error).toMatch(/^Expected output is not valid JSON/);
  });
});
