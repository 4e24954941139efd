import React, { useMemo } from 'react';
import { Button, Combobox, ComboboxOption, InlineField, MultiCombobox, Stack } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';

import { DataSource } from '../datasource';
import { FILTER_NAMES, FILTER_VARIABLE_KIND, FilterName, QueryFilter, QueryType, VariableKind } from '../types';

/** The score list filters by the score's name, source and data type, and by its trace's user and session. */
const SCORE_FILTERS: FilterName[] = ['name', 'source', 'type', 'user', 'session'];

export function filterNamesFor(queryType: QueryType): FilterName[] {
  return queryType === 'scores' ? SCORE_FILTERS : [...FILTER_NAMES];
}

/** For scores, `name` is the score's name, whose values are another list. */
function variableKindFor(queryType: QueryType, key: FilterName): VariableKind {
  return queryType === 'scores' && key === 'name' ? 'score_names' : FILTER_VARIABLE_KIND[key];
}

interface Props {
  datasource: DataSource;
  queryType: QueryType;
  filters: QueryFilter[];
  onChange: (filters: QueryFilter[]) => void;
}

/** Rows of "key is any of values"; the values offered are the API's variable lists and the dashboard's variables. */
export function FiltersEditor({ datasource, queryType, filters, onChange }: Props) {
  // One loader per filter key and one request per list while the editor is open, not one per
  // keystroke; a stable loader also keeps MultiCombobox from re-creating its debounced search.
  const loaderFor = useMemo(() => {
    const lists = new Map<VariableKind, Promise<Array<{ text: string; value: string }>>>();
    const listOf = (kind: VariableKind) => {
      const list = lists.get(kind) ?? datasource.listVariableValues(kind).catch(() => []);
      lists.set(kind, list);
      return list;
    };
    const loaders = new Map(
      filterNamesFor(queryType).map((key) => [
        key,
        async (input: string): Promise<Array<ComboboxOption<string>>> => {
          const values = await listOf(variableKindFor(queryType, key));
          const variables = getTemplateSrv()
            .getVariables()
            .map((v) => ({ text: `$${v.name}`, value: `$${v.name}` }));
          const needle = input.toLowerCase();
          return [...variables, ...values]
            .filter((v) => v.text.toLowerCase().includes(needle))
            .map((v) => ({ label: v.text, value: v.value }));
        },
      ])
    );
    return (key: FilterName) => loaders.get(key) ?? (async () => []);
  }, [datasource, queryType]);

  const keyOptions = filterNamesFor(queryType).map((name) => ({ label: name, value: name }));
  const update = (index: number, filter: QueryFilter) => onChange(filters.map((f, i) => (i === index ? filter : f)));

  return (
    <Stack direction="column" gap={0}>
      {filters.map((filter, index) => (
        <Stack key={index} gap={0}>
          <InlineField label={index === 0 ? 'Where' : 'And'} labelWidth={14}>
            <Combobox
              width={18}
              options={keyOptions}
              value={filter.key}
              onChange={(option) => update(index, { key: option.value as FilterName, values: [] })}
            />
          </InlineField>
          <InlineField label="is any of" labelWidth={11}>
            <MultiCombobox
              width={48}
              createCustomValue
              options={loaderFor(filter.key)}
              value={filter.values}
              placeholder="values or $variable"
              onChange={(options) => update(index, { ...filter, values: options.map((o) => String(o.value)) })}
            />
          </InlineField>
          <Button
            variant="secondary"
            icon="trash-alt"
            aria-label="Remove filter"
            onClick={() => onChange(filters.filter((_, i) => i !== index))}
          />
        </Stack>
      ))}
      <div>
        <Button
          variant="secondary"
          icon="plus"
          size="sm"
          onClick={() => onChange([...filters, { key: filterNamesFor(queryType)[0], values: [] }])}
        >
          Filter
        </Button>
      </div>
    </Stack>
  );
}
