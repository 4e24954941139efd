import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { Combobox, InlineField } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { TheodoliteOptions, TheodoliteQuery, TheodoliteVariableQuery, VARIABLE_KINDS, VariableKind } from '../types';

type Props = QueryEditorProps<DataSource, TheodoliteQuery, TheodoliteOptions, TheodoliteVariableQuery>;

/** A template variable lists one kind of value (models, users, ...), most used first. */
export function VariableQueryEditor({ query, onChange }: Props) {
  // A variable saved by hand as a plain string ("models") still opens.
  const kind = (typeof query === 'string' ? query : query?.kind) || 'models';
  return (
    <InlineField label="Values of" labelWidth={14} tooltip="GET /api/v1/analytics/variables/{kind}">
      <Combobox
        width={24}
        options={VARIABLE_KINDS.map((k) => ({ label: k, value: k }))}
        value={kind}
        onChange={(o) => onChange({ refId: 'variable', kind: o.value as VariableKind })}
      />
    </InlineField>
  );
}
