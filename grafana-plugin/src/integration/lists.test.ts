// Trace, observation and score lists as typed tables, template variables as repeated filter
// parameters, and error traces as annotations, against a real server with demo data.
import { DataFrame, FieldType } from '@grafana/data';
import { lastValueFrom } from 'rxjs';

import { TheodoliteQuery } from '../types';
import { DAY_MS, lastWholeMinute, makeDataSource, makeRequest, run } from '../test/harness';

const field = (frame: DataFrame, name: string) => {
  const found = frame.fields.find((f) => f.name === name);
  if (!found) {
    throw new Error(`no field ${name} in ${frame.fields.map((f) => f.name).join(', ')}`);
  }
  return found;
};
const total = (frame: DataFrame) => Array.from(field(frame, 'value').values as number[]).reduce((a, v) => a + v, 0);

const to = lastWholeMinute();
const from = to - 2 * DAY_MS;

describe('traces', () => {
  it('is a table with time, number and string fields, newest first, cut at the limit', async () => {
    const { ds, requests } = makeDataSource();
    const response = await run(ds, makeRequest([{ refId: 'A', queryType: 'traces', limit: 25 }], from, to));
    const [frame] = response.data as DataFrame[];
    expect(new URL(requests[0], 'http://grafana').searchParams.get('limit')).toBe('25');
    expect(frame.length).toBe(25);
    expect(field(frame, 'time').type).toBe(FieldType.time);
    expect(field(frame, 'trace_id').type).toBe(FieldType.string);
    expect(field(frame, 'name').type).toBe(FieldType.string);
    for (const name of ['cost', 'latency_ms', 'total_tokens', 'observation_count', 'error_count']) {
      expect(field(frame, name).type).toBe(FieldType.number);
    }
    const times = Array.from(field(frame, 'time').values as number[]);
    expect(times.every((t) => t >= from && t < to)).toBe(true);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });
});

describe('template variables', () => {
  it('sends a multi-value variable as repeated parameters, and the API filters by any of them', async () => {
    const models = ['gpt-4o-mini-2024-07-18', 'claude-3-5-haiku-20241022'];
    const { ds, requests } = makeDataSource({ variables: { model: models } });
    // A whole day: the demo's traffic follows the clock, and some night hours have none at all.
    const narrow = { from: to - DAY_MS, to };
    const response = await run(
      ds,
      makeRequest(
        [
          { refId: 'list', queryType: 'observations', limit: 1000, filters: [{ key: 'model', values: ['$model'] }] },
          {
            refId: 'count',
            queryType: 'metrics',
            measure: 'observation_count',
            interval: 'total',
            groupBy: ['model'],
            filters: [{ key: 'model', values: ['${model}'] }],
          },
        ],
        narrow.from,
        narrow.to
      )
    );
    for (const url of requests) {
      expect(new URL(url, 'http://grafana').searchParams.getAll('model')).toEqual(models);
    }
    const frames = response.data as DataFrame[];
    const list = frames.find((f) => f.refId === 'list')!;
    const listed = Array.from(field(list, 'model').values as string[]);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(1000);
    expect(new Set(listed)).toEqual(new Set(models));
    const counts = frames.filter((f) => f.refId === 'count');
    expect(counts.map((f) => f.fields[1].labels?.model).sort()).toEqual([...models].sort());
    expect(counts.reduce((a, f) => a + total(f), 0)).toBe(listed.length);
  });

  it('sends no filter for a variable whose "All" is selected, as the API reads "All"', async () => {
    const { ds, requests } = makeDataSource({ variables: { user: { all: ['user-001', 'user-002'] } } });
    const count = (filters: TheodoliteQuery['filters']): TheodoliteQuery => ({
      refId: filters?.length ? 'all' : 'none',
      queryType: 'metrics',
      measure: 'trace_count',
      interval: 'total',
      filters,
    });
    const response = await run(
      ds,
      makeRequest([count([{ key: 'user', values: ['$user'] }]), count([])], to - DAY_MS, to)
    );
    expect(new URL(requests[0], 'http://grafana').searchParams.has('user')).toBe(false);
    const [all, none] = ['all', 'none'].map((refId) =>
      total((response.data as DataFrame[]).find((f) => f.refId === refId)!)
    );
    expect(all).toBeGreaterThan(0);
    expect(all).toBe(none);
  });
});

describe('observations and scores', () => {
  it('lists observations of one type with their model and cost', async () => {
    const { ds } = makeDataSource({ variables: { kind: 'generation' } });
    const response = await run(
      ds,
      makeRequest(
        [{ refId: 'A', queryType: 'observations', limit: 50, filters: [{ key: 'type', values: ['$kind'] }] }],
        from,
        to
      )
    );
    const [frame] = response.data as DataFrame[];
    expect(frame.length).toBe(50);
    expect(new Set(field(frame, 'type').values)).toEqual(new Set(['generation']));
    expect(field(frame, 'cost').type).toBe(FieldType.number);
    expect(field(frame, 'latency_ms').type).toBe(FieldType.number);
  });

  it('lists scores with numeric values', async () => {
    const { ds } = makeDataSource();
    const all = await run(ds, makeRequest([{ refId: 'A', queryType: 'scores', limit: 1000 }], from, to));
    const [frame] = all.data as DataFrame[];
    expect(frame.length).toBeGreaterThan(0);
    expect(field(frame, 'value').type).toBe(FieldType.number);
    // Filtering by one score name keeps only that name.
    const name = String(field(frame, 'name').values[0]);
    const one = await run(
      ds,
      makeRequest(
        [{ refId: 'B', queryType: 'scores', limit: 1000, filters: [{ key: 'name', values: [name] }] }],
        from,
        to
      )
    );
    const names = new Set(field((one.data as DataFrame[])[0], 'name').values);
    expect(names).toEqual(new Set([name]));
  });

  it("shows none of the demo's rows to another project's key", async () => {
    const { otherApiKey } = await import('../test/harness');
    const { ds } = makeDataSource({ apiKey: otherApiKey() });
    const response = await run(ds, makeRequest([{ refId: 'A', queryType: 'traces', limit: 10 }], from, to));
    expect((response.data as DataFrame[])[0].length).toBe(0);
  });
});

describe('annotations', () => {
  it('marks every ERROR trace at its time, as many as the metrics count', async () => {
    const { ds } = makeDataSource();
    const query = { ...ds.annotations.getDefaultQuery!(), refId: 'Anno', limit: 1000 } as TheodoliteQuery;
    const response = await run(
      ds,
      makeRequest(
        [
          query,
          {
            refId: 'count',
            queryType: 'metrics',
            measure: 'trace_count',
            interval: 'total',
            filters: [{ key: 'level', values: ['ERROR'] }],
          },
        ],
        from,
        to
      )
    );
    const frames = response.data as DataFrame[];
    const events = await lastValueFrom(
      ds.annotations.processEvents!({ name: 'errors', enable: true, iconColor: 'red', target: query }, [
        frames.find((f) => f.refId === 'Anno')!,
      ])
    );
    const errors = total(frames.find((f) => f.refId === 'count')!);
    expect(errors).toBeGreaterThan(0);
    expect(events).toHaveLength(errors);
    for (const event of events ?? []) {
      expect(event.time).toBeGreaterThanOrEqual(from);
      expect(event.time).toBeLessThan(to);
      expect(event.text).toMatch(/ERROR.*trace \S+/);
      expect(event.tags).toContain('ERROR');
    }
  });
});
