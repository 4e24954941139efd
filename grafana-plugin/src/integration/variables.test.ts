// Template variable queries (models, users, ...) against a real server with demo data.
import { DataFrame, dateTime } from '@grafana/data';
import { lastValueFrom } from 'rxjs';

import { TheodoliteVariableQuery } from '../types';
import { TheodoliteVariableSupport } from '../variables';
import { DAY_MS, lastWholeMinute, makeDataSource, makeRequest, otherApiKey, run } from '../test/harness';

describe('metricFindQuery', () => {
  it("lists the demo's models, the same set the metrics group by", async () => {
    const { ds } = makeDataSource();
    const to = lastWholeMinute();
    const from = to - 3 * DAY_MS;
    const range = { from: dateTime(from), to: dateTime(to), raw: { from: dateTime(from), to: dateTime(to) } };
    const models = await ds.metricFindQuery('models', { range });
    const names = models.map((m) => m.value);
    expect(models.every((m) => m.text === m.value)).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining(['gpt-4o-2024-08-06', 'claude-sonnet-4-20250514', 'gpt-4o-mini-2024-07-18'])
    );

    const grouped = await run(
      ds,
      makeRequest(
        [{ refId: 'A', queryType: 'metrics', measure: 'observation_count', interval: 'total', groupBy: ['model'] }],
        from,
        to
      )
    );
    const labelled = (grouped.data as DataFrame[]).map((f) => f.fields[1].labels?.model).filter((m) => m);
    expect([...names].sort()).toEqual([...labelled].sort());
  });

  it('accepts the kind as an object and lists users', async () => {
    const { ds, requests } = makeDataSource();
    const users = await ds.metricFindQuery({ refId: 'v', kind: 'users' });
    expect(users.length).toBeGreaterThan(1);
    expect(requests).toEqual(['/api/datasources/proxy/uid/theodolite-test/api/v1/analytics/variables/users']);
  });

  it('rejects an unknown kind without asking the server', async () => {
    const { ds, requests } = makeDataSource();
    await expect(ds.metricFindQuery('planets')).rejects.toThrow(/Unknown variable kind "planets"/);
    expect(requests).toEqual([]);
  });

  it('serves the variable editor through the variable support', async () => {
    const { ds } = makeDataSource();
    const to = lastWholeMinute();
    const query: TheodoliteVariableQuery = { refId: 'v', kind: 'levels' };
    const support = ds.variables as TheodoliteVariableSupport;
    expect(support).toBeInstanceOf(TheodoliteVariableSupport);
    const response = await lastValueFrom(support.query(makeRequest([query], to - 2 * DAY_MS, to)));
    expect(response.data.map((v: { value: string }) => v.value)).toEqual(expect.arrayContaining(['DEFAULT', 'ERROR']));
  });

  it("lists nothing for another project's key", async () => {
    const { ds } = makeDataSource({ apiKey: otherApiKey() });
    expect(await ds.metricFindQuery('models')).toEqual([]);
  });
});
