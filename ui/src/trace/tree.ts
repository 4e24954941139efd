// The observation tree of a trace, built from the skeleton's columns. Pure functions, unit-tested
// (tree.test.ts). Nothing here makes one object per observation: children are index ranges in one
// Int32Array (CSR layout), so 50,000 spans build in a few milliseconds and the rows in view are
// the only per-observation objects React ever sees.
import type { SkeletonColumns } from "./types";

export interface TraceTree {
  size: number;
  /** Observations without a parent among the skeleton's (roots, and orphans whose parent is missing). */
  roots: Int32Array;
  /** children of i: childList[childStart[i] .. childStart[i + 1]), in start order. */
  childStart: Int32Array;
  childList: Int32Array;
  parent: Int32Array;
  depth: Int32Array;
  /** End of the latest observation, in ms from the trace's start: the waterfall's full width. */
  spanMs: number;
}

/** The tree of the skeleton. Observations come in start order, so children stay in start order. */
export function buildTree(columns: Pick<SkeletonColumns, "parent" | "start_ms" | "duration_ms">): TraceTree {
  const size = columns.parent.length;
  const parent = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const p = columns.parent[i]!;
    // A parent that is not a valid index (a bad document) makes the observation a root.
    parent[i] = p >= 0 && p < size && p !== i ? p : -1;
  }
  breakCycles(parent);
  const counts = new Int32Array(size);
  let rootCount = 0;
  for (let i = 0; i < size; i++) {
    const p = parent[i]!;
    if (p === -1) rootCount++;
    else counts[p] = counts[p]! + 1;
  }
  const childStart = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) childStart[i + 1] = childStart[i]! + counts[i]!;
  const fill = childStart.slice(0, size);
  const childList = new Int32Array(Math.max(0, size - rootCount));
  const roots = new Int32Array(rootCount);
  let r = 0;
  for (let i = 0; i < size; i++) {
    const p = parent[i]!;
    if (p === -1) roots[r++] = i;
    else {
      const slot = fill[p]!;
      fill[p] = slot + 1;
      childList[slot] = i;
    }
  }
  const depth = new Int32Array(size);
  const stack: number[] = [];
  for (let k = roots.length - 1; k >= 0; k--) stack.push(roots[k]!);
  while (stack.length > 0) {
    const node = stack.pop() as number;
    for (let c = childStart[node]!; c < childStart[node + 1]!; c++) {
      depth[childList[c]!] = depth[node]! + 1;
      stack.push(childList[c]!);
    }
  }
  let spanMs = 0;
  for (let i = 0; i < size; i++) {
    const end = columns.start_ms[i]! + (columns.duration_ms[i] ?? 0);
    if (end > spanMs) spanMs = end;
  }
  return { size, roots, childStart, childList, parent, depth, spanMs };
}

/** A parent chain that loops never reaches a root: cut it where it closes, making that node a root. */
function breakCycles(parent: Int32Array): void {
  const state = new Uint8Array(parent.length); // 0 unseen, 1 on the current walk, 2 done
  for (let i = 0; i < parent.length; i++) {
    if (state[i] !== 0) continue;
    const walk: number[] = [];
    let node = i;
    while (node !== -1 && state[node]! === 0) {
      state[node] = 1;
      walk.push(node);
      node = parent[node]!;
    }
    if (node !== -1 && state[node]! === 1) parent[node] = -1; // the loop closes at node
    for (const seen of walk) state[seen] = 2;
  }
}

export function hasChildren(tree: TraceTree, node: number): boolean {
  return tree.childStart[node + 1]! > tree.childStart[node]!;
}

/**
 * The rows to show, in tree order (depth first, children by start): the children of a collapsed
 * node are left out. With `only` (a search), just those observations, all expanded.
 */
export function visibleRows(tree: TraceTree, collapsed: ReadonlySet<number>, only?: ReadonlySet<number> | null): number[] {
  const rows: number[] = [];
  const stack: number[] = [];
  for (let k = tree.roots.length - 1; k >= 0; k--) stack.push(tree.roots[k]!);
  while (stack.length > 0) {
    const node = stack.pop() as number;
    if (only && !only.has(node)) continue;
    rows.push(node);
    if (!only && collapsed.has(node)) continue;
    for (let c = tree.childStart[node + 1]! - 1; c >= tree.childStart[node]!; c--) stack.push(tree.childList[c]!);
  }
  return rows;
}

/** The observations to show for search matches: the matches and every ancestor of one. */
export function withAncestors(tree: TraceTree, matches: Iterable<number>): Set<number> {
  const kept = new Set<number>();
  for (const match of matches) {
    let node = match;
    while (node !== -1 && !kept.has(node)) {
      kept.add(node);
      node = tree.parent[node]!;
    }
  }
  return kept;
}

/** Every node with children: what collapse-all collapses. */
export function allParents(tree: TraceTree): Set<number> {
  const parents = new Set<number>();
  for (let i = 0; i < tree.size; i++) if (hasChildren(tree, i)) parents.add(i);
  return parents;
}

/** `collapsed` without the ancestors of `node`, so that it is visible (a deep link, a search hit). */
export function revealed(tree: TraceTree, collapsed: ReadonlySet<number>, node: number): ReadonlySet<number> {
  let next: Set<number> | null = null;
  for (let a = tree.parent[node]!; a !== -1; a = tree.parent[a]!) {
    if (collapsed.has(a)) {
      next ??= new Set(collapsed);
      next.delete(a);
    }
  }
  return next ?? collapsed;
}

/** Index of each id, for deep links and search answers. */
export function indexById(ids: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  ids.forEach((id, i) => map.set(id, i));
  return map;
}

/** Whether `ancestor` is a proper ancestor of `node`. */
export function isAncestor(tree: TraceTree, ancestor: number, node: number): boolean {
  for (let a = tree.parent[node]!; a !== -1; a = tree.parent[a]!) if (a === ancestor) return true;
  return false;
}
