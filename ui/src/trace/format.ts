// How one observation's numbers read on the trace page. Pure, unit-tested (format.test.ts).
import { formatUsd } from "../format";

export interface ObservationCostText {
  text: string;
  title: string;
  kind: "priced" | "partial" | "unpriced" | "free" | "none";
}

/** One observation's cost: an unpriced call reads "unpriced", never $0; a cache hit or fallback is a known $0. */
export function formatObservationCost(cost: number | null, status: string): ObservationCostText {
  switch (status) {
    case "unpriced":
      return { text: "unpriced", title: "No price for this model: the cost is unknown, not $0.", kind: "unpriced" };
    case "not_billed":
      return { text: "$0", title: "Not billed: answered by a cache or a fallback, no provider call.", kind: "free" };
    case "partial":
      return {
        text: cost === null ? "unpriced" : `${formatUsd(cost)}+`,
        title: "Some token types of this call have no price: the cost is at least this.",
        kind: cost === null ? "unpriced" : "partial",
      };
    case "n/a":
      return { text: "", title: "", kind: "none" };
    default:
      if (cost === null) return { text: "unpriced", title: "The cost is unknown, not $0.", kind: "unpriced" };
      return {
        text: formatUsd(cost),
        title: status === "reported" ? "Cost reported by the client." : "Cost priced by Theodolite.",
        kind: "priced",
      };
  }
}

/** A duration or an offset in milliseconds, compact: 850 ms, 1.25 s, 2m 05s. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1) return ms <= 0 ? "0 ms" : `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2).replace(/\.?0+$/, "")} s`;
  if (s < 60) return `${s.toFixed(1).replace(/\.0$/, "")} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(total / 3600)}h ${String(Math.floor((total % 3600) / 60)).padStart(2, "0")}m`;
}

/** A short label per observation type for the tree's badges. */
export const TYPE_LABELS: Record<string, string> = {
  span: "SPAN",
  generation: "GEN",
  event: "EVENT",
  agent: "AGENT",
  tool: "TOOL",
  chain: "CHAIN",
  retriever: "RETR",
  evaluator: "EVAL",
  embedding: "EMBED",
  guardrail: "GUARD",
};
