// Metrics and costs queries against a real server with demo data: figures that must agree
// between routes, and the frames Grafana draws from them.
import { DataFrame, FieldType } from '@grafana/data';

import { TheodoliteQuery } from '../types';
import { DAY_MS, HOUR_MS, lastWholeMinute, makeDataSource, makeRequest, run } from '../test/harness';

const valuesOf = (frame: DataFrame, name: string) =>
  Array.from(frame.fields.find((f) => f.name === name)?.values ?? []) as Array<number | null>;
const sum = (values: Array<number | null>) => values.reduce<number>((a, v) => a + (v ?? 0), 0);
const metrics = (patch: Partial<TheodoliteQuery>): TheodoliteQuery => ({ refId: 'A', queryType: 'metrics', ...patch });

describe('metrics', () => {
  // A whole day: the demo's traffic follows the clock, and some night hours have none at all.
  const to = lastWholeMinute();
  const from = to - DAY_MS;

  it('counts as many traces as the trace list holds for the same range', async () => {
    const { ds } = makeDataSource();
    const response = await run(
      ds,
      makeRequest(
        [
          metrics({ refId: 'count', measure: 'trace_count', aggregation: 'count', interval: 'total' }),
          { refId: 'list', queryType: 'traces', limit: 1000 },
        ],
        from,
        to
      )
    );
    const [count, list] = response.data as DataFrame[];
    expect(count.refId).toBe('count');
    expect(list.refId).toBe('list');
    const total = sum(valuesOf(count, 'value'));
    expect(total).toBeGreaterThan(0);
    expect(list.length).toBeLessThan(1000);
    expect(total).toBe(list.length);
  });

  it('sends from and to as epoch milliseconds and repeats group_by', async () => {
    const { ds, requests } = makeDataSource();
    await run(
      ds,
      makeRequest([metrics({ measure: 'cost', aggregation: 'sum', groupBy: ['model', 'name'] })], from, to)
    );
    const params = new URL(requests[0], 'http://grafana').searchParams;
    expect(params.get('from')).toBe(String(from));
    expect(params.get('to')).toBe(String(to));
    expect(params.getAll('group_by')).toEqual(['model', 'name']);
    expect(params.get('measure')).toBe('cost');
  });

  it('draws one labelled series per model, adding up to the ungrouped total', async () => {
    const { ds } = makeDataSource();
    const query = { measure: 'observation_count', aggregation: 'count', interval: 'total' } as const;
    const response = await run(
      ds,
      makeRequest(
        [metrics({ ...query, refId: 'all' }), metrics({ ...query, refId: 'by', groupBy: ['model'] })],
        from,
        to
      )
    );
    const frames = response.data as DataFrame[];
    const total = sum(
      valuesOf(
        frames.find((f) => f.refId === 'all')!,
        'value'
      )
    );
    const byModel = frames.filter((f) => f.refId === 'by');
    expect(byModel.length).toBeGreaterThan(1);
    const models = byModel.map((f) => f.fields[1].labels?.model);
    expect(new Set(models).size).toBe(byModel.length);
    expect(models).toContain('gpt-4o-mini-2024-07-18');
    for (const frame of byModel) {
      expect(frame.fields[0]).toMatchObject({ name: 'time', type: FieldType.time });
      expect(frame.fields[1]).toMatchObject({ name: 'value', type: FieldType.number });
      expect(frame.fields[1].config.displayNameFromDS).toBe(frame.fields[1].labels?.model || '(none)');
    }
    expect(sum(byModel.map((f) => sum(valuesOf(f, 'value'))))).toBe(total);
  });

  it('labels series with both group-by dimensions', async () => {
    const { ds } = makeDataSource();
    const response = await run(
      ds,
      makeRequest(
        [metrics({ measure: 'cost', aggregation: 'sum', groupBy: ['provider', 'model'], interval: 'total' })],
        from,
        to
      )
    );
    const frames = response.data as DataFrame[];
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) {
      expect(Object.keys(frame.fields[1].labels ?? {}).sort()).toEqual(['model', 'provider']);
    }
    expect(frames.some((f) => f.fields[1].labels?.provider === 'openai')).toBe(true);
  });

  it('fills every hourly bucket with fill=zero, aligned to UTC hours', async () => {
    const { ds } = makeDataSource();
    const hourEnd = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const response = await run(
      ds,
      makeRequest(
        [metrics({ measure: 'trace_count', aggregation: 'count', interval: '1h', fill: 'zero' })],
        hourEnd - DAY_MS,
        hourEnd
      )
    );
    const [frame] = response.data as DataFrame[];
    const times = valuesOf(frame, 'time');
    // 24 buckets, the quiet hours among them at 0.
    expect(times).toEqual(Array.from({ length: 24 }, (_, i) => hourEnd - DAY_MS + i * HOUR_MS));
    expect(valuesOf(frame, 'value').every((v) => typeof v === 'number')).toBe(true);
  });

  it("interpolates Grafana's $__interval_ms into the interval", async () => {
    const { ds, requests } = makeDataSource();
    const hourEnd = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const response = await run(
      ds,
      makeRequest(
        [metrics({ measure: 'trace_count', interval: '$__interval_ms', fill: 'zero' })],
        hourEnd - DAY_MS,
        hourEnd,
        {
          __interval_ms: { text: '3600000', value: 3600000 },
        }
      )
    );
    expect(new URL(requests[0], 'http://grafana').searchParams.get('interval')).toBe('3600000');
    expect(valuesOf((response.data as DataFrame[])[0], 'time')).toHaveLength(24);
  });
});

describe('costs', () => {
  it('adds up per day and model to the metrics cost total', async () => {
    const { ds } = makeDataSource();
    const to = lastWholeMinute();
    const from = to - 2 * DAY_MS;
    const response = await run(
      ds,
      makeRequest(
        [
          { refId: 'costs', queryType: 'costs' },
          metrics({ refId: 'total', measure: 'cost', aggregation: 'sum', interval: 'total' }),
        ],
        from,
        to
      )
    );
    const frames = response.data as DataFrame[];
    const costFrames = frames.filter((f) => f.refId === 'costs');
    const perDayAndModel = sum(costFrames.map((f) => sum(valuesOf(f, 'cost'))));
    const total = sum(
      valuesOf(
        frames.find((f) => f.refId === 'total')!,
        'value'
      )
    );
    expect(total).toBeGreaterThan(0);
    expect(perDayAndModel).toBeCloseTo(total, 6);
    for (const frame of costFrames) {
      const cost = frame.fields.find((f) => f.name === 'cost')!;
      expect(cost.config.displayNameFromDS).toBe(`${cost.labels?.model || '(none)'} cost`);
      expect(frame.fields.map((f) => f.name)).toEqual(
        expect.arrayContaining([
          'time',
          'cost',
          'input_tokens',
          'output_tokens',
          'total_tokens',
          'calls',
          'unpriced_calls',
        ])
      );
    }
    // One series per model, the model as its label; day buckets start at 00:00 UTC.
    expect(
      costFrames.every((f) => f.fields.every((field) => field.name === 'time' || field.labels?.model !== undefined))
    ).toBe(true);
    for (const frame of costFrames) {
      for (const t of valuesOf(frame, 'time')) {
        expect((t ?? 1) % DAY_MS).toBe(0);
      }
    }
  });
});

describe('errors', () => {
  it("reports the API's 400 for its target and still answers the others", async () => {
    const { ds } = makeDataSource();
    const to = lastWholeMinute();
    const response = await ds.query(
      makeRequest(
        [
          metrics({ refId: 'bad', measure: 'nonsense' as TheodoliteQuery['measure'] }),
          metrics({ refId: 'good', measure: 'trace_count', interval: 'total' }),
        ],
        to - HOUR_MS,
        to
      )
    );
    expect(response.errors).toHaveLength(1);
    expect(response.errors?.[0]).toMatchObject({ refId: 'bad', status: 400 });
    expect(response.errors?.[0].message).toMatch(/nonsense|measure/);
    expect((response.data as DataFrame[]).map((f) => f.refId)).toEqual(['good']);
  });
});
