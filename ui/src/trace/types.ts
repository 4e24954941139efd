// Shapes of the trace page's API (theodolite/server/routes/trace_page.py declares them).
import type { TraceSummary } from "../api/types";

export interface SkeletonColumns {
  id: string[];
  /** Index of the parent in these arrays; -1 for a root or a parent that is not listed. */
  parent: number[];
  type: string[];
  name: (string | null)[];
  start_ms: number[];
  duration_ms: (number | null)[];
  level: string[];
  model: (string | null)[];
  input_tokens: (number | null)[];
  output_tokens: (number | null)[];
  tokens: (number | null)[];
  cost: (number | null)[];
  cost_status: string[];
  error: boolean[];
}

export interface TraceSkeleton {
  trace: TraceSummary & { root_observation_id: string | null; score_count: number };
  total: number;
  truncated: boolean;
  max_observations: number;
  trace_start: string;
  observations: SkeletonColumns;
}

export interface Score {
  id: string;
  name: string;
  value: number | null;
  string_value: string | null;
  data_type: string;
  source: string;
  comment: string | null;
  timestamp: string;
}

export interface ObservationDetail {
  id: string;
  trace_id: string;
  parent_observation_id: string | null;
  type: string;
  name: string | null;
  start_time: string;
  end_time: string | null;
  completion_start_time: string | null;
  latency_s: number | null;
  time_to_first_token_s: number | null;
  level: string;
  status_message: string | null;
  model: string | null;
  request_model: string | null;
  provider: string | null;
  model_parameters: Record<string, unknown> | null;
  source: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  input_cost: number | null;
  output_cost: number | null;
  total_cost: number | null;
  calculated_input_cost: number | null;
  calculated_output_cost: number | null;
  calculated_total_cost: number | null;
  cost_status: string;
  saved_cost: number | null;
  metadata: Record<string, unknown> | null;
  version: string | null;
  environment: string | null;
  input: unknown;
  output: unknown;
  attributes: Record<string, unknown> | null;
  scores: Score[];
}

export interface TraceSearchResult {
  ids: string[];
  scanned: number;
}
