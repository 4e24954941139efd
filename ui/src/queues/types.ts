// Shapes of /api/v1/annotation-queues (theodolite/server/routes/annotation_queue_models.py).
import type { TurnWords } from "../sessions/types";

export type DataType = "NUMERIC" | "CATEGORICAL" | "BOOLEAN";
export type ScoreValue = number | string | boolean;

export interface ScoreConfig {
  name: string;
  data_type: DataType;
  min_value: number | null;
  max_value: number | null;
  categories: string[] | null;
  description: string | null;
  /** The project's score config the queue follows; null for a config of the queue's own. */
  config_id?: number | null;
  /** A project config archived since: the queue takes no reviews until it is restored. */
  archived?: boolean;
  /** A project config no longer in the project: the queue takes no reviews. */
  missing?: boolean;
}

export type ItemKind = "trace" | "observation" | "session";

export interface Queue {
  name: string;
  description: string | null;
  /** The only kind of item the queue holds; null: any. */
  kind: ItemKind | null;
  score_configs: ScoreConfig[];
  reviews_per_item: number;
  created_at: string;
  item_count: number;
  done_count: number;
  remaining: number;
}

export interface QueueItem {
  id: number;
  kind: ItemKind;
  object_id: string;
  trace_id: string | null;
  added_at: string;
  done_count: number;
  claim_expires_at: string | null;
}

export interface ItemContent {
  error?: string;
  name?: string | null;
  timestamp?: string | null;
  user_id?: string | null;
  session_id?: string | null;
  type?: string | null;
  model?: string | null;
  input?: unknown;
  output?: unknown;
  turns?: { trace_id: string; timestamp: string; name: string | null; input: TurnWords; output: TurnWords }[];
  more_turns?: boolean;
}

export interface Claim {
  reviewer: string;
  item: QueueItem | null;
  content: ItemContent | null;
  left_for_reviewer: number;
}

export interface Progress {
  items: number;
  done: number;
  remaining: number;
  claimed: number;
  reviewers: { reviewer: string; done: number; skipped: number }[];
  me: { reviewer: string; done: number; skipped: number; left: number } | null;
}

/** What adding items answered (POST .../items and .../items/from-traces). */
export interface Added {
  added: number;
  existing: number;
  item_count: number;
  scanned?: number | null;
  pending_spans?: number | null;
}
