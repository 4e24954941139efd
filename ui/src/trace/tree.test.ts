import { describe, expect, it } from "vitest";
import { allParents, buildTree, indexById, isAncestor, revealed, visibleRows, withAncestors } from "./tree";

/** root(0) -> a(1) -> a1(3); root -> b(2) -> b1(4), b2(5); orphan(6) whose parent is not in the skeleton. */
const columns = {
  parent: [-1, 0, 0, 1, 2, 2, -1],
  start_ms: [0, 1, 2, 3, 4, 5, 6],
  duration_ms: [100, 10, 50, 1, 1, null, 2],
};

describe("buildTree", () => {
  it("links children in start order and computes depths", () => {
    const tree = buildTree(columns);
    expect(Array.from(tree.roots)).toEqual([0, 6]);
    expect(Array.from(tree.depth)).toEqual([0, 1, 1, 2, 2, 2, 0]);
    expect(Array.from(tree.childList.slice(tree.childStart[2], tree.childStart[3]))).toEqual([4, 5]);
    expect(tree.spanMs).toBe(100);
  });

  it("makes a bad parent index or a cycle a root instead of losing rows", () => {
    const tree = buildTree({ parent: [2, 0, 1, 99, 3], start_ms: [0, 0, 0, 0, 0], duration_ms: [1, 1, 1, 1, 1] });
    expect(visibleRows(tree, new Set()).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(tree.roots.length).toBe(2); // the cycle 0 -> 2 -> 1 -> 0 is cut once; 99 is not an index
  });

  it("builds 50,000 observations quickly and without recursion", () => {
    const size = 50_000;
    // A chain (depth 50,000) would overflow a recursive walk.
    const chain = { parent: Array.from({ length: size }, (_, i) => i - 1), start_ms: new Array(size).fill(0), duration_ms: new Array(size).fill(1) };
    const started = performance.now();
    const tree = buildTree(chain);
    expect(visibleRows(tree, new Set()).length).toBe(size);
    expect(tree.depth[size - 1]).toBe(size - 1);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("visibleRows", () => {
  const tree = buildTree(columns);

  it("lists the tree depth first", () => {
    expect(visibleRows(tree, new Set())).toEqual([0, 1, 3, 2, 4, 5, 6]);
  });

  it("leaves out the children of collapsed nodes", () => {
    expect(visibleRows(tree, new Set([2]))).toEqual([0, 1, 3, 2, 6]);
    expect(visibleRows(tree, allParents(tree))).toEqual([0, 6]);
  });

  it("shows search matches with their ancestors, expanded", () => {
    const only = withAncestors(tree, [5]);
    expect(Array.from(only).sort()).toEqual([0, 2, 5]);
    expect(visibleRows(tree, allParents(tree), only)).toEqual([0, 2, 5]);
  });
});

describe("revealed", () => {
  const tree = buildTree(columns);

  it("expands the ancestors of a node and nothing else", () => {
    const collapsed = new Set([0, 1, 2]);
    expect(Array.from(revealed(tree, collapsed, 4)).sort()).toEqual([1]);
    expect(revealed(tree, new Set([1]), 4)).toEqual(new Set([1])); // unchanged: the same set
  });

  it("knows ancestors", () => {
    expect(isAncestor(tree, 0, 4)).toBe(true);
    expect(isAncestor(tree, 2, 4)).toBe(true);
    expect(isAncestor(tree, 1, 4)).toBe(false);
    expect(isAncestor(tree, 4, 4)).toBe(false);
  });

  it("maps ids to indexes", () => {
    expect(indexById(["a", "b"]).get("b")).toBe(1);
  });
});
