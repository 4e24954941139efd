// Aligning two traces' observation trees for /compare. Pure, unit-tested (align.test.ts).
//
// Siblings are matched by (type, name) in order, with jsdiff's diffArrays (a longest common
// subsequence), so one inserted or missing step does not shift every row after it. Within a run
// where A lost some steps and B gained others, they are paired by position ("renamed" steps); the
// rest show on one side only. Matched pairs are aligned the same way one level down.
import { diffArrays } from "diff";
import type { ObservationNode } from "../api/types";

export type MatchKind = "name" | "position" | "only-a" | "only-b";

export interface AlignedRow {
  /** Stable within one comparison: the path of indexes on each side, used in the URL (?row=). */
  key: string;
  depth: number;
  a: ObservationNode | null;
  b: ObservationNode | null;
  match: MatchKind;
}

export function nodeKey(node: ObservationNode): string {
  return `${node.type}|${node.name ?? ""}`;
}

export function countNodes(roots: readonly ObservationNode[]): number {
  let count = 0;
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    count += 1;
    stack.push(...node.children);
  }
  return count;
}

/** The first `limit` observations in tree order (depth first, children in the API's order), as a
 * pruned copy of the tree: a huge trace is compared on a bounded prefix. */
export function firstObservations(roots: readonly ObservationNode[], limit: number): ObservationNode[] {
  let left = limit;
  const prune = (nodes: readonly ObservationNode[]): ObservationNode[] => {
    const kept: ObservationNode[] = [];
    for (const node of nodes) {
      if (left <= 0) break;
      left -= 1;
      kept.push({ ...node, children: prune(node.children) });
    }
    return kept;
  };
  return prune(roots);
}

function oneSided(nodes: readonly ObservationNode[], depth: number, side: "a" | "b", path: string, out: AlignedRow[]) {
  nodes.forEach((node, index) => {
    const key = `${side}${path}.${index}`;
    out.push({ key, depth, a: side === "a" ? node : null, b: side === "b" ? node : null, match: side === "a" ? "only-a" : "only-b" });
    oneSided(node.children, depth + 1, side, `${path}.${index}`, out);
  });
}

function alignLevel(
  a: readonly ObservationNode[],
  b: readonly ObservationNode[],
  depth: number,
  pathA: string,
  pathB: string,
  out: AlignedRow[],
): void {
  const changes = diffArrays(a.map(nodeKey), b.map(nodeKey));
  let i = 0;
  let j = 0;
  const pair = (match: MatchKind) => {
    const left = a[i]!;
    const right = b[j]!;
    const subA = `${pathA}.${i}`;
    const subB = `${pathB}.${j}`;
    out.push({ key: `${subA}~${subB}`, depth, a: left, b: right, match });
    alignLevel(left.children, right.children, depth + 1, subA, subB, out);
    i += 1;
    j += 1;
  };
  for (let c = 0; c < changes.length; c++) {
    const change = changes[c]!;
    const count = change.count ?? change.value.length;
    if (!change.added && !change.removed) {
      for (let n = 0; n < count; n++) pair("name");
    } else if (change.removed) {
      const next = changes[c + 1];
      const added = next?.added ? (next.count ?? next.value.length) : 0;
      const paired = Math.min(count, added);
      for (let n = 0; n < paired; n++) pair("position");
      for (let n = paired; n < count; n++) {
        const sub = `${pathA}.${i}`;
        out.push({ key: `a${sub}`, depth, a: a[i]!, b: null, match: "only-a" });
        oneSided(a[i]!.children, depth + 1, "a", sub, out);
        i += 1;
      }
      for (let n = paired; n < added; n++) {
        const sub = `${pathB}.${j}`;
        out.push({ key: `b${sub}`, depth, a: null, b: b[j]!, match: "only-b" });
        oneSided(b[j]!.children, depth + 1, "b", sub, out);
        j += 1;
      }
      if (next?.added) c += 1;
    } else {
      for (let n = 0; n < count; n++) {
        const sub = `${pathB}.${j}`;
        out.push({ key: `b${sub}`, depth, a: null, b: b[j]!, match: "only-b" });
        oneSided(b[j]!.children, depth + 1, "b", sub, out);
        j += 1;
      }
    }
  }
}

/** The rows of the side-by-side tree, in display order. */
export function alignTrees(a: readonly ObservationNode[], b: readonly ObservationNode[]): AlignedRow[] {
  const out: AlignedRow[] = [];
  alignLevel(a, b, 0, "", "", out);
  return out;
}
