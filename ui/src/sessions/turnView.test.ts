import { describe, expect, it } from "vitest";
import { preview, wordsView } from "./turnView";

describe("wordsView", () => {
  it("shows the extracted text, and whether it was cut", () => {
    expect(wordsView({ text: "Hello", json: null, truncated: false, source: "root" }, "input")).toEqual({
      kind: "text",
      text: "Hello",
      truncated: false,
      fromGeneration: false,
    });
    const cut = wordsView({ text: "x".repeat(4000), json: null, truncated: true, source: "generation" }, "output");
    expect(cut).toMatchObject({ kind: "text", truncated: true, fromGeneration: true });
  });

  it("falls back to the folded JSON when no message shape was found", () => {
    const view = wordsView({ text: null, json: { document_id: "d-1" }, truncated: false, source: "root" }, "input");
    expect(view).toEqual({ kind: "json", value: { document_id: "d-1" }, truncated: false, fromGeneration: false });
  });

  it("keeps falsy JSON values (0, false, empty string) rather than calling them missing", () => {
    expect(wordsView({ text: null, json: 0, truncated: false, source: "root" }, "output").kind).toBe("json");
    expect(wordsView({ text: null, json: false, truncated: false, source: "root" }, "output").kind).toBe("json");
  });

  it("says when nothing was recorded", () => {
    expect(wordsView({ text: null, json: null, truncated: false, source: null }, "input")).toEqual({
      kind: "none",
      note: "No input recorded",
    });
    expect(wordsView(undefined, "output")).toEqual({ kind: "none", note: "No output recorded" });
  });

  it("names an empty message instead of showing nothing", () => {
    expect(wordsView({ text: "  ", json: null, truncated: false, source: "root" }, "output")).toMatchObject({
      kind: "text",
      text: "(empty message)",
    });
  });
});

describe("preview", () => {
  it("is one line, cut with an ellipsis", () => {
    const view = wordsView({ text: "a\n\nb   c", json: null, truncated: false, source: "root" }, "input");
    expect(preview(view)).toBe("a b c");
    const long = wordsView({ text: "word ".repeat(40), json: null, truncated: false, source: "root" }, "input");
    expect(preview(long, 20)).toHaveLength(20);
    expect(preview(long, 20).endsWith("…")).toBe(true);
  });

  it("previews JSON as compact text", () => {
    expect(preview(wordsView({ text: null, json: { a: 1 }, truncated: false, source: "root" }, "input"))).toBe('{"a":1}');
  });
});
