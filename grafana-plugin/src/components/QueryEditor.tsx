import React, { ChangeEvent } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Combobox, InlineField, Input, MultiCombobox, RadioButtonGroup, Stack } from '@grafana/ui';

import { DataSource } from '../datasource';
import {
  AGGREGATIONS,
  DEFAULT_LIMIT,
  DEFAULT_QUERY,
  FILLS,
  FilterName,
  LIST_QUERY_TYPES,
  MAX_GROUP_BY,
  MAX_LIMIT,
  MEASURES,
  Measure,
  QUERY_TYPES,
  SCOPES,
  TheodoliteOptions,
  TheodoliteQuery,
} from '../types';
import { FiltersEditor, filterNamesFor } from './FiltersEditor';

type Props = QueryEditorProps<DataSource, TheodoliteQuery, TheodoliteOptions>;

const LABEL_WIDTH = 14;
const options = <T extends string>(values: readonly T[]) => values.map((value) => ({ label: value, value }));

/** Measures whose rows are fixed by the measure itself: the API ignores `scope` for them. */
const SCOPE_FIXED: Measure[] = ['trace_count', 'observation_count', 'score'];

export function QueryEditor({ datasource, query, onChange, onRunQuery }: Props) {
  const q: TheodoliteQuery = { ...DEFAULT_QUERY, ...query };
  // Every change runs the query, as Grafana's own editors do for pickers.
  const change = (patch: Partial<TheodoliteQuery>) => {
    onChange({ ...q, ...patch });
    onRunQuery();
  };

  return (
    <Stack direction="column" gap={1}>
      <InlineField label="Query" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup
          options={QUERY_TYPES.map((t) => ({ label: t[0].toUpperCase() + t.slice(1), value: t }))}
          value={q.queryType}
          onChange={(queryType) =>
            // Keep only the filters the new type accepts.
            change({ queryType, filters: (q.filters ?? []).filter((f) => filterNamesFor(queryType).includes(f.key)) })
          }
        />
      </InlineField>
      {q.queryType === 'metrics' && <MetricsOptions query={q} change={change} />}
      {q.queryType === 'costs' && <CostsOptions query={q} change={change} />}
      {LIST_QUERY_TYPES.includes(q.queryType) && (
        <InlineField label="Limit" labelWidth={LABEL_WIDTH} tooltip={`Newest rows first, at most ${MAX_LIMIT}`}>
          <Input
            type="number"
            width={12}
            min={1}
            max={MAX_LIMIT}
            defaultValue={q.limit ?? DEFAULT_LIMIT}
            onBlur={(e: ChangeEvent<HTMLInputElement>) => change({ limit: Number(e.target.value) || DEFAULT_LIMIT })}
          />
        </InlineField>
      )}
      <FiltersEditor
        datasource={datasource}
        queryType={q.queryType}
        filters={q.filters ?? []}
        onChange={(filters) => change({ filters })}
      />
    </Stack>
  );
}

interface OptionsProps {
  query: TheodoliteQuery;
  change: (patch: Partial<TheodoliteQuery>) => void;
}

function MetricsOptions({ query, change }: OptionsProps) {
  const measure = query.measure ?? 'trace_count';
  return (
    <>
      <Stack gap={0} wrap="wrap">
        <InlineField label="Measure" labelWidth={LABEL_WIDTH}>
          <Combobox
            width={22}
            options={options(MEASURES)}
            value={measure}
            onChange={(o) => {
              const next = o.value as Measure;
              // Counting is the only sensible aggregation of the two counts.
              const counts = next === 'trace_count' || next === 'observation_count';
              change({
                measure: next,
                aggregation: counts ? 'count' : query.aggregation === 'count' ? 'sum' : query.aggregation,
              });
            }}
          />
        </InlineField>
        <InlineField label="Aggregation" labelWidth={13} disabled={measure === 'error_rate'}>
          <Combobox
            width={12}
            options={options(AGGREGATIONS)}
            value={query.aggregation ?? 'sum'}
            onChange={(o) => change({ aggregation: o.value })}
          />
        </InlineField>
        <InlineField
          label="Scope"
          labelWidth={8}
          disabled={SCOPE_FIXED.includes(measure)}
          tooltip="observations: each call is a row; traces: each trace is a row with its totals"
        >
          <RadioButtonGroup
            options={options(SCOPES)}
            value={query.scope ?? 'observations'}
            onChange={(scope) => change({ scope })}
          />
        </InlineField>
      </Stack>
      <Stack gap={0} wrap="wrap">
        <InlineField label="Group by" labelWidth={LABEL_WIDTH} tooltip={`At most ${MAX_GROUP_BY}`}>
          <MultiCombobox
            width={34}
            options={options(filterNamesFor('metrics'))}
            value={query.groupBy ?? []}
            placeholder="(none)"
            onChange={(opts) => change({ groupBy: opts.map((o) => o.value as FilterName).slice(0, MAX_GROUP_BY) })}
          />
        </InlineField>
        <IntervalField query={query} change={change} placeholder="auto" />
        <InlineField
          label="Fill"
          labelWidth={6}
          tooltip="zero: a row for every bucket of every group (count and sum only)"
        >
          <RadioButtonGroup
            options={options(FILLS)}
            value={query.fill ?? 'none'}
            onChange={(fill) => change({ fill })}
          />
        </InlineField>
      </Stack>
    </>
  );
}

function CostsOptions({ query, change }: OptionsProps) {
  return (
    <Stack gap={0} wrap="wrap">
      <InlineField label="Group by" labelWidth={LABEL_WIDTH}>
        <Combobox
          width={20}
          options={options(filterNamesFor('costs'))}
          value={query.groupBy?.[0] ?? 'model'}
          onChange={(o) => change({ groupBy: [o.value as FilterName] })}
        />
      </InlineField>
      <IntervalField query={query} change={change} placeholder="1d" />
    </Stack>
  );
}

function IntervalField({ query, change, placeholder }: OptionsProps & { placeholder: string }) {
  return (
    <InlineField
      label="Interval"
      labelWidth={10}
      tooltip="auto, a duration (5m, 1h, 1d), $__interval_ms, or total (one row per group)"
    >
      <Input
        width={14}
        defaultValue={query.interval ?? ''}
        placeholder={placeholder}
        onBlur={(e: ChangeEvent<HTMLInputElement>) => change({ interval: e.target.value.trim() || undefined })}
      />
    </InlineField>
  );
}
