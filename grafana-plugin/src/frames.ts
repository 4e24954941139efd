// Rows of the analytics API into Grafana data frames: grouped time series (one frame per group,
// its group values as labels, so a panel draws one line per model) and typed tables.
import { AnnotationEvent, DataFrame, Field, FieldType, createDataFrame } from '@grafana/data';

import { ApiRow } from './types';

/** Columns that hold numbers even when every row of an answer has null there (an unpriced cost). */
const NUMBER_COLUMNS = new Set([
  'value',
  'cost',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'observation_count',
  'error_count',
  'latency_ms',
  'ttft_ms',
  'calls',
  'unpriced_calls',
]);

const TIME_COLUMN = 'time';

/**
 * One frame per combination of the group columns' values, in the order the API sorted them
 * (time, then group). Each frame has the time field and every other column as a number field,
 * labelled with the group's values.
 */
export function groupedTimeSeriesFrames(rows: ApiRow[], groupColumns: string[], refId: string): DataFrame[] {
  if (rows.length === 0) {
    return [createDataFrame({ refId, fields: [] })];
  }
  const valueColumns = columnsOf(rows).filter((c) => c !== TIME_COLUMN && !groupColumns.includes(c));
  const groups = new Map<string, { labels: Record<string, string>; rows: ApiRow[] }>();
  for (const row of rows) {
    const labels: Record<string, string> = {};
    for (const column of groupColumns) {
      labels[column] = row[column] == null ? '' : String(row[column]);
    }
    const key = JSON.stringify(groupColumns.map((c) => labels[c]));
    let group = groups.get(key);
    if (!group) {
      group = { labels, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
  }
  return [...groups.values()].map(({ labels, rows: groupRows }) => {
    const hasLabels = groupColumns.length > 0;
    // A missing value (no model, no user) is "" in the API; show it as "(none)" in a legend.
    const name = hasLabels ? groupColumns.map((c) => labels[c] || '(none)').join(' / ') : undefined;
    return createDataFrame({
      refId,
      name,
      fields: [
        { name: TIME_COLUMN, type: FieldType.time, values: groupRows.map((r) => toNumber(r[TIME_COLUMN])) },
        ...valueColumns.map((column) => ({
          name: column,
          type: FieldType.number,
          values: groupRows.map((r) => toNumber(r[column])),
          labels: hasLabels ? labels : undefined,
          // The legend says the group ("gpt-4o / support-bot"), not "value {model=...}"; with several
          // value columns (costs) the column too ("gpt-4o cost").
          config: hasLabels ? { displayNameFromDS: valueColumns.length === 1 ? name : `${name} ${column}` } : {},
        })),
      ],
    });
  });
}

/** A table: `time` as a time field, numbers as numbers, the rest as strings, columns in API order. */
export function tableFrame(rows: ApiRow[], refId: string, name?: string): DataFrame {
  const fields: Array<Partial<Field>> = columnsOf(rows).map((column) => {
    const type = fieldTypeOf(column, rows);
    const values = rows.map((row) => {
      const value = row[column];
      if (value == null) {
        return null;
      }
      if (type === FieldType.time || type === FieldType.number) {
        return toNumber(value);
      }
      return type === FieldType.boolean ? Boolean(value) : String(value);
    });
    return { name: column, type, values };
  });
  return createDataFrame({ refId, name, fields });
}

/**
 * Annotation events from list frames (e.g. traces with level ERROR): one per row, at its time,
 * with a text made of what identifies the row and tags of its level, model and environment.
 */
export function annotationEvents(frames: DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    const field = (name: string) => frame.fields.find((f) => f.name === name);
    const time = field(TIME_COLUMN);
    if (!time) {
      continue;
    }
    const text = (i: number, name: string) => {
      const value = field(name)?.values[i];
      return value == null || value === '' ? undefined : String(value);
    };
    for (let i = 0; i < frame.length; i++) {
      const traceId = text(i, 'trace_id');
      const parts = [
        text(i, 'name'),
        text(i, 'level'),
        text(i, 'status_message'),
        text(i, 'model'),
        traceId && `trace ${traceId}`,
      ];
      const tags = [text(i, 'level'), text(i, 'model'), text(i, 'environment')];
      events.push({
        time: toNumber(time.values[i]) ?? undefined,
        text: parts.filter(Boolean).join(' · '),
        tags: tags.filter((t): t is string => Boolean(t)),
      });
    }
  }
  return events;
}

/** Every column of the rows, in the order they first appear (the API's order). */
function columnsOf(rows: ApiRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) {
    for (const column of Object.keys(row)) {
      seen.add(column);
    }
  }
  return [...seen];
}

function fieldTypeOf(column: string, rows: ApiRow[]): FieldType {
  if (column === TIME_COLUMN) {
    return FieldType.time;
  }
  const sample = rows.map((r) => r[column]).find((v) => v != null);
  if (typeof sample === 'number') {
    return FieldType.number;
  }
  if (typeof sample === 'boolean') {
    return FieldType.boolean;
  }
  if (sample === undefined && NUMBER_COLUMNS.has(column)) {
    return FieldType.number;
  }
  return FieldType.string;
}

function toNumber(value: ApiRow[string] | undefined): number | null {
  if (value == null || value === '') {
    return null;
  }
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
