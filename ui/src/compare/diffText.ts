// Turning inputs and outputs into text and diffing them, for /compare. Pure, unit-tested
// (diffText.test.ts). The diff itself is jsdiff's (npm `diff`): Myers' O(ND) algorithm, the one
// GNU diff and git use, with a time budget so a huge value cannot freeze the page.
import { diffLines, diffWordsWithSpace, type ChangeObject } from "diff";

/**
 * A value as lines that diff well: a string as itself; JSON as an indented outline where each
 * field is one line and a multi-line string (a prompt, a completion) is a block of its own lines,
 * so one changed sentence is one changed line, not one changed 4,000-character JSON line.
 */
export function readable(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return outline(value, "").replace(/^\n/, "");
}

function outline(value: unknown, indent: string): string {
  if (value === null || value === undefined) return " null";
  if (typeof value === "string") {
    if (!value.includes("\n")) return ` ${JSON.stringify(value)}`;
    return ` |\n${value.split("\n").map((line) => `${indent}${line}`).join("\n")}`;
  }
  if (typeof value !== "object") return ` ${String(value)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return " []";
    return value.map((item) => `\n${indent}-${outline(item, `${indent}  `)}`).join("");
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return " {}";
  return entries.map(([key, item]) => `\n${indent}${key}:${outline(item, `${indent}  `)}`).join("");
}

export interface DiffLine {
  kind: "same" | "added" | "removed";
  text: string;
  /** For a changed line paired with its counterpart: the words that differ (highlighted). */
  words?: ChangeObject<string>[];
}

export interface TextDiff {
  lines: DiffLine[];
  /** False when the diff ran out of its time budget: show both sides instead. */
  complete: boolean;
}

/** Longer lines are not diffed word by word (the line diff says enough, and it stays fast). */
const WORD_DIFF_MAX_CHARS = 4_000;

function splitLines(value: string): string[] {
  const lines = value.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Every line ends with a newline, the last one too: otherwise "b" and "b\n" would differ. */
function terminated(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

export function diffTexts(a: string, b: string, timeoutMs = 1_000): TextDiff {
  const changes = diffLines(terminated(a), terminated(b), { timeout: timeoutMs });
  if (changes === undefined) return { lines: [], complete: false };
  const lines: DiffLine[] = [];
  for (let c = 0; c < changes.length; c++) {
    const change = changes[c]!;
    if (!change.added && !change.removed) {
      for (const text of splitLines(change.value)) lines.push({ kind: "same", text });
      continue;
    }
    const next = changes[c + 1];
    if (change.removed && next?.added) {
      // A replaced block: pair its lines so each pair shows which words changed.
      const removed = splitLines(change.value);
      const added = splitLines(next.value);
      const words = removed.map((line, n) =>
        n < added.length && line.length + added[n]!.length <= WORD_DIFF_MAX_CHARS
          ? diffWordsWithSpace(line, added[n]!)
          : undefined,
      );
      removed.forEach((text, n) => lines.push({ kind: "removed", text, words: words[n] }));
      added.forEach((text, n) => lines.push({ kind: "added", text, words: words[n] }));
      c += 1;
      continue;
    }
    for (const text of splitLines(change.value)) lines.push({ kind: change.added ? "added" : "removed", text });
  }
  return { lines, complete: true };
}

export interface DiffSummary {
  added: number;
  removed: number;
  same: number;
  identical: boolean;
}

export function summariseDiff(diff: TextDiff): DiffSummary {
  let added = 0;
  let removed = 0;
  let same = 0;
  for (const line of diff.lines) {
    if (line.kind === "added") added += 1;
    else if (line.kind === "removed") removed += 1;
    else same += 1;
  }
  return { added, removed, same, identical: diff.complete && added === 0 && removed === 0 };
}

/** "identical", "+3 −1 lines", for a heading. */
export function describeSummary(summary: DiffSummary): string {
  if (summary.identical) return "identical";
  const parts = [];
  if (summary.added) parts.push(`+${summary.added}`);
  if (summary.removed) parts.push(`−${summary.removed}`);
  return `${parts.join(" ")} ${summary.added + summary.removed === 1 ? "line" : "lines"}`;
}
