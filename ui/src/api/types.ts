// Shapes of the /api/v1 answers the UI reads (theodolite/server/routes/api_models.py declares them).

export interface AuthUser {
  id: number | string;
  email: string;
  name: string | null;
  is_admin: boolean;
  /** A one-time password Theodolite generated: every data route answers 403 until it is changed. */
  must_change_password?: boolean;
}

export interface ProjectMembership {
  name: string;
  role: string;
}

export interface AuthInfo {
  user: AuthUser;
  projects: ProjectMembership[];
}

export interface Totals {
  observation_count: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** USD; null when no call is priced and some are unpriced (never 0 for unpriced calls). */
  total_cost: number | null;
  saved_cost: number | null;
  unpriced_count: number;
  not_billed_count: number;
  error_count: number;
}

export interface TraceSummary extends Totals {
  id: string;
  timestamp: string;
  name: string | null;
  user_id: string | null;
  session_id: string | null;
  release: string | null;
  version: string | null;
  environment: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  latency_s: number | null;
  /** Per score name, the mean of its numeric and boolean scores on the trace. */
  scores?: Record<string, number>;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ObservationNode {
  id: string;
  parent_observation_id: string | null;
  type: string;
  name: string | null;
  start_time: string;
  end_time: string | null;
  latency_s: number | null;
  level: string;
  model: string | null;
  total_tokens: number | null;
  total_cost: number | null;
  cost_status: string;
  children: ObservationNode[];
  [field: string]: unknown;
}

export interface TraceDetail extends Omit<TraceSummary, "scores"> {
  root_observation_id: string | null;
  observations: ObservationNode[];
  scores: Record<string, unknown>[];
}

export interface TraceFilterOptions {
  names: string[];
  models: string[];
  environments: string[];
  releases: string[];
  truncated: string[];
}
