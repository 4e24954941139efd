// Shapes of GET /api/v1/live (theodolite/server/routes/live.py declares them).

export interface LiveRates {
  calls: number;
  completions_per_min: number;
  input_tokens: number;
  output_tokens: number;
  tokens_per_s: number;
  /** USD; null when no provider call has a known cost and some are unpriced (never 0 for those). */
  cost: number | null;
  cost_per_hour: number | null;
  saved: number | null;
  unpriced_calls: number;
  not_billed_calls: number;
  errors: number;
  error_rate: number | null;
  active_requests: number;
  unfinished_calls: number;
}

export interface LiveTotals extends LiveRates {
  p95_latency_s: number | null;
}

export interface LiveModel extends LiveRates {
  model: string;
}

export interface LiveBuckets {
  t: number[];
  calls: number[];
  completions_per_min: number[];
  tokens_per_s: number[];
  cost: (number | null)[];
  cost_per_hour: (number | null)[];
  unpriced_calls: number[];
  not_billed_calls: number[];
  errors: number[];
  error_rate: (number | null)[];
  p95_latency_s: (number | null)[];
  active_requests: number[];
}

export interface LiveDashboard {
  window: string;
  step_s: number;
  from: string;
  to: string;
  now: string;
  totals: LiveTotals;
  buckets: LiveBuckets;
  models: LiveModel[];
  model_calls: Record<string, number[]>;
}
