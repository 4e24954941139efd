import React from 'react';
import { DataSourceInstanceSettings } from '@grafana/data';
import { setTemplateSrv } from '@grafana/runtime';
import { fireEvent, render, screen } from '@testing-library/react';

import { DataSource } from '../datasource';
import { dashboardTemplateSrv } from '../test/templateSrv';
import { TheodoliteOptions, TheodoliteQuery } from '../types';
import { QueryEditor } from './QueryEditor';

const datasource = new DataSource({
  id: 1,
  uid: 'theodolite',
  type: 'theodolite-datasource',
  name: 'Theodolite',
  url: '/api/datasources/proxy/uid/theodolite',
  jsonData: {},
  meta: {},
} as unknown as DataSourceInstanceSettings<TheodoliteOptions>);

function renderEditor(query: TheodoliteQuery) {
  setTemplateSrv(dashboardTemplateSrv({}));
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  render(<QueryEditor datasource={datasource} query={query} onChange={onChange} onRunQuery={onRunQuery} />);
  return { onChange, onRunQuery };
}

describe('QueryEditor', () => {
  it('shows the metrics options for a metrics query', () => {
    renderEditor({ refId: 'A', queryType: 'metrics', measure: 'cost' });
    for (const label of ['Measure', 'Aggregation', 'Scope', 'Group by', 'Interval', 'Fill']) {
      expect(screen.getByText(label)).toBeInTheDocument();
    }
    expect(screen.queryByText('Limit')).not.toBeInTheDocument();
  });

  it('switches to scores, keeping only the filters scores accept, and runs the query', () => {
    const { onChange, onRunQuery } = renderEditor({
      refId: 'A',
      queryType: 'metrics',
      filters: [
        { key: 'model', values: ['gpt-4o'] },
        { key: 'user', values: ['u1'] },
      ],
    });
    fireEvent.click(screen.getByLabelText('Scores'));
    expect(onChange.mock.calls[0][0]).toMatchObject({
      queryType: 'scores',
      filters: [{ key: 'user', values: ['u1'] }],
    });
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('offers a limit for list queries and adds filters', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'traces' });
    expect(screen.getByText('Limit')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: /filter/i }));
    expect(onChange.mock.calls[0][0].filters).toEqual([{ key: 'type', values: [] }]);
  });
});
