// Shapes of GET /api/v1/sessions[/{id}] (theodolite/server/routes/api_models.py, groups_detail.py).
import type { Totals, TraceSummary } from "../api/types";

export interface GroupSummary extends Totals {
  trace_count: number;
  first_seen: string;
  last_seen: string;
}

export interface SessionSummary extends GroupSummary {
  session_id: string;
}

export interface UserSummary extends GroupSummary {
  user_id: string;
}

/** The words of one side of a turn: text when a message shape was recognised, else folded JSON. */
export interface TurnWords {
  text: string | null;
  json: unknown;
  /** The text was cut or the JSON folded: the trace has all of it. */
  truncated: boolean;
  /** "root" (the trace's input/output), "generation", or null when nothing was recorded. */
  source: string | null;
}

export interface Turn extends Totals {
  trace_id: string;
  timestamp: string;
  name: string | null;
  user_id: string | null;
  latency_s: number | null;
  input: TurnWords;
  output: TurnWords;
}

export interface SessionDetail {
  session_id: string;
  /** The whole session's totals: on the first page only. */
  summary: (GroupSummary & { user_ids: string[] }) | null;
  turns: Turn[];
  next_cursor: string | null;
}

export interface UserDay extends Totals {
  day: string; // YYYY-MM-DD, UTC
  trace_count: number;
}

export interface UserDetail extends Totals {
  user_id: string;
  trace_count: number;
  first_seen: string | null;
  last_seen: string | null;
  daily: UserDay[];
  recent_traces: TraceSummary[];
}
