// The review page's keyboard: which key chooses which value of which score, and the page's own
// keys (Enter submits, s skips, ? shows the keys, j/k or the arrows move between scores). Pure,
// unit-tested (keys.test.ts).
import type { ScoreConfig, ScoreValue } from "./types";

export interface Choice {
  key: string;
  label: string;
  value: ScoreValue;
}

/** The values a score offers as buttons, each with its key; null for a number typed in a field
 * (a scale with more than nine steps, or no bounds). */
export function choicesOf(config: ScoreConfig): Choice[] | null {
  if (config.data_type === "BOOLEAN") {
    return [
      { key: "y", label: "Yes", value: true },
      { key: "n", label: "No", value: false },
    ];
  }
  if (config.data_type === "CATEGORICAL") {
    return (config.categories ?? []).map((category, index) => ({
      key: index < 9 ? String(index + 1) : "",
      label: category,
      value: category,
    }));
  }
  const { min_value: min, max_value: max } = config;
  if (min === null || max === null || !Number.isInteger(min) || !Number.isInteger(max) || max - min > 9) return null;
  const values = Array.from({ length: max - min + 1 }, (_, index) => min + index);
  // A scale within 0-9 is chosen by its own digits (a 1-5 scale: 1 to 5); any other by position.
  const ownDigits = min >= 0 && max <= 9;
  return values.map((value, index) => ({
    key: ownDigits ? String(value) : index < 9 ? String(index + 1) : "",
    label: String(value),
    value,
  }));
}

export type KeyAction =
  | { kind: "choose"; config: number; value: ScoreValue }
  | { kind: "submit" }
  | { kind: "skip" }
  | { kind: "help" }
  | { kind: "move"; to: number }
  | null;

export function keyAction(key: string, configs: ScoreConfig[], active: number): KeyAction {
  if (key === "Enter") return { kind: "submit" };
  if (key === "s") return { kind: "skip" };
  if (key === "?") return { kind: "help" };
  if (key === "j" || key === "ArrowDown") return { kind: "move", to: Math.min(active + 1, configs.length - 1) };
  if (key === "k" || key === "ArrowUp") return { kind: "move", to: Math.max(active - 1, 0) };
  // The active score first; y/n reach the first yes/no score when the active one is not.
  const order = [active, ...configs.map((_, index) => index).filter((index) => index !== active)];
  for (const index of order) {
    const config = configs[index];
    if (!config) continue;
    if (index !== active && !(config.data_type === "BOOLEAN" && (key === "y" || key === "n"))) continue;
    const choice = (choicesOf(config) ?? []).find((candidate) => candidate.key === key);
    if (choice) return { kind: "choose", config: index, value: choice.value };
  }
  return null;
}

/** After a choice: the next score still without a value (after the current one, then from the top), else the same. */
export function nextActive(configs: ScoreConfig[], values: Record<string, ScoreValue>, current: number): number {
  for (let step = 1; step <= configs.length; step++) {
    const index = (current + step) % configs.length;
    if (!(configs[index]!.name in values)) return index;
  }
  return current;
}

export function missingScores(configs: ScoreConfig[], values: Record<string, ScoreValue>): string[] {
  return configs.filter((config) => !(config.name in values)).map((config) => config.name);
}
