// The shapes of /api/v1/experiments (theodolite/server/routes/experiment_models.py).
export interface Experiment {
  id: number;
  name: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  dataset: string;
  dataset_version: number;
  status: "running" | "finished" | "failed";
  created_at: string;
  finished_at: string | null;
  run_count: number;
  error_count: number;
}

export interface ComparedExperiment extends Experiment {
  item_count: number;
  errors: number;
  scores: Record<string, { mean: number | null; n: number }>;
  categories: Record<string, CategoryCounts>;
  cost: { total: number | null; mean: number | null; n: number };
  latency_ms: { mean: number | null; p50: number | null; n: number };
}

export interface Versus {
  mean_difference: number | null;
  low: number | null;
  high: number | null;
  significant: boolean;
  better: "experiment" | "baseline" | null;
  wins: number;
  losses: number;
  ties: number;
  n_items: number;
  unpaired: number;
}

// One categorical score of one experiment: runs per category, in the order of its scale's labels.
export interface CategoryCounts {
  counts: Record<string, number>;
  shares: Record<string, number>;
  n: number;
}

// A categorical score against the baseline: items with the same category, and (when its config
// numbers the categories) the items won, lost and tied by those numbers.
export interface VersusCategories {
  n_items: number;
  agreed: number;
  agreement: number | null;
  unpaired: number;
  ordered: boolean;
  wins: number | null;
  losses: number | null;
  ties: number | null;
  better: "experiment" | "baseline" | null;
}

export interface CategoricalScale {
  labels: string[];
  values: Record<string, number> | null;
}

export interface VersusBaseline {
  experiment_id: number;
  scores: Record<string, Versus>;
  categories: Record<string, VersusCategories>;
  cost: Versus;
  latency_ms: Versus;
}

export interface ComparedRun {
  output: unknown;
  error: string | null;
  trace_id: string | null;
  cost: number | null;
  latency_ms: number | null;
  scores: Record<string, number>;
  categories: Record<string, string>;
}

export interface ComparedItem {
  item_id: string;
  input: unknown;
  expected_output: unknown;
  runs: (ComparedRun | null)[];
  winners: Record<string, number[]>;
}

export interface Comparison {
  baseline_id: number;
  score_names: string[];
  category_names: string[];
  categorical: Record<string, CategoricalScale>;
  confidence: number;
  resamples: number;
  experiments: ComparedExperiment[];
  versus_baseline: VersusBaseline[];
  best: { scores: Record<string, number | null>; cost: number | null; latency_ms: number | null };
  items: ComparedItem[];
}
