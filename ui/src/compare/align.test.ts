import { describe, expect, it } from "vitest";
import type { ObservationNode } from "../api/types";
import { alignTrees, countNodes, firstObservations } from "./align";

let nextId = 0;
function node(name: string, children: ObservationNode[] = [], type = "SPAN"): ObservationNode {
  nextId += 1;
  return {
    id: `o${nextId}`, parent_observation_id: null, type, name, start_time: "2026-11-30T00:00:00Z", end_time: null,
    latency_s: null, level: "DEFAULT", model: null, total_tokens: null, total_cost: null, cost_status: "n/a", children,
  };
}

const shape = (rows: ReturnType<typeof alignTrees>) =>
  rows.map((r) => `${" ".repeat(r.depth)}${r.a?.name ?? "·"}|${r.b?.name ?? "·"}|${r.match}`);

describe("alignTrees", () => {
  it("pairs identical trees row by row, children under their parents", () => {
    const a = [node("agent", [node("plan"), node("llm", [], "GENERATION"), node("tool")])];
    const b = [node("agent", [node("plan"), node("llm", [], "GENERATION"), node("tool")])];
    expect(shape(alignTrees(a, b))).toEqual(["agent|agent|name", " plan|plan|name", " llm|llm|name", " tool|tool|name"]);
  });

  it("keeps the steps after an inserted one aligned by name", () => {
    const a = [node("agent", [node("plan"), node("llm"), node("answer")])];
    const b = [node("agent", [node("plan"), node("search", [node("http")]), node("llm"), node("answer")])];
    expect(shape(alignTrees(a, b))).toEqual([
      "agent|agent|name",
      " plan|plan|name",
      " ·|search|only-b",
      "  ·|http|only-b",
      " llm|llm|name",
      " answer|answer|name",
    ]);
  });

  it("pairs a renamed step by position, and shows a missing one on its side only", () => {
    const a = [node("chain", [node("retrieve"), node("llm"), node("cleanup")])];
    const b = [node("chain", [node("rerank"), node("llm")])];
    expect(shape(alignTrees(a, b))).toEqual([
      "chain|chain|name",
      " retrieve|rerank|position",
      " llm|llm|name",
      " cleanup|·|only-a",
    ]);
  });

  it("matches on type as well as name", () => {
    const a = [node("call", [], "GENERATION")];
    const b = [node("call", [], "TOOL")];
    expect(alignTrees(a, b).map((r) => r.match)).toEqual(["position"]);
  });

  it("gives every row a distinct key", () => {
    const a = [node("x", [node("y"), node("y")]), node("z")];
    const b = [node("x", [node("y")]), node("w"), node("z")];
    const keys = alignTrees(a, b).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("firstObservations", () => {
  it("keeps the first N in tree order and counts the rest", () => {
    const tree = [node("root", [node("a", [node("a1"), node("a2")]), node("b")])];
    expect(countNodes(tree)).toBe(5);
    const kept = firstObservations(tree, 3);
    expect(countNodes(kept)).toBe(3);
    expect(kept[0]!.children.map((c) => c.name)).toEqual(["a"]);
    expect(kept[0]!.children[0]!.children.map((c) => c.name)).toEqual(["a1"]);
    expect(countNodes(tree)).toBe(5); // the original is untouched
  });
});
