// Shapes of GET /api/v1/costs (theodolite/server/routes/costs.py declares them).

export interface CostLine {
  key: string;
  calls: number;
  unpriced_calls: number;
  partial_calls: number;
  not_billed_calls: number;
  input_tokens: number;
  output_tokens: number;
  /** USD; null when no provider call has a known cost and some are unpriced (never 0 for those). */
  cost_usd: number | null;
  saved_usd: number | null;
}

export interface CostGroup {
  lines: CostLine[];
  total: CostLine;
  truncated: boolean;
}

export interface CostPage {
  from: string;
  to: string;
  project: string;
  projects: string[];
  groups: Record<string, CostGroup>;
}
