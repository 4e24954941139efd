// How one side of a turn reads: the message text, a folded JSON document, or a plain note. Pure,
// unit-tested (turnView.test.ts); the server extracts the words (theodolite/query/turn_text.py).
import type { TurnWords } from "./types";

export type WordsView =
  | { kind: "text"; text: string; truncated: boolean; fromGeneration: boolean }
  | { kind: "json"; value: unknown; truncated: boolean; fromGeneration: boolean }
  | { kind: "none"; note: string };

export function wordsView(words: TurnWords | null | undefined, side: "input" | "output"): WordsView {
  const fromGeneration = words?.source === "generation";
  if (words && typeof words.text === "string") {
    // A message of only whitespace is still a message: say so rather than show an empty bubble.
    const text = words.text.trim() === "" ? "(empty message)" : words.text;
    return { kind: "text", text, truncated: words.truncated, fromGeneration };
  }
  if (words && words.json !== null && words.json !== undefined) {
    return { kind: "json", value: words.json, truncated: words.truncated, fromGeneration };
  }
  return { kind: "none", note: side === "input" ? "No input recorded" : "No output recorded" };
}

/** A one-line preview of a turn's message, for titles and the accessible name of a turn. */
export function preview(view: WordsView, max = 80): string {
  if (view.kind === "none") return view.note;
  const text = view.kind === "text" ? view.text : JSON.stringify(view.value);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
