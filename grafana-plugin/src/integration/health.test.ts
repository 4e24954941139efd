// "Save & test" against a real server: the project the key reaches, or why none was reached.
import { makeDataSource, otherApiKey, serverUrl } from '../test/harness';

describe('testDatasource', () => {
  it('names the project the key reaches', async () => {
    const { ds, requests } = makeDataSource();
    const result = await ds.testDatasource();
    expect(result).toEqual({ status: 'success', message: expect.stringContaining('project "default"') });
    expect(requests).toEqual(['/api/datasources/proxy/uid/theodolite-test/api/v1/analytics/project']);
  });

  it("names another project for that project's key", async () => {
    const { ds } = makeDataSource({ apiKey: otherApiKey() });
    expect((await ds.testDatasource()).message).toContain('project "grafana-empty"');
  });

  it("accepts the key's own project as the project setting", async () => {
    const { ds } = makeDataSource({ project: 'default' });
    expect(await ds.testDatasource()).toMatchObject({ status: 'success' });
  });

  it('reports a project setting the key cannot reach', async () => {
    const { ds } = makeDataSource({ project: 'no-such-project' });
    const result = await ds.testDatasource();
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/404: .*no-such-project/);
  });

  it('reports a refused key as a 401', async () => {
    const { ds } = makeDataSource({ apiKey: 'sk-th-not-a-key' });
    const result = await ds.testDatasource();
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/refused the API key \(401\)/);
  });

  it('reports an unreachable URL', async () => {
    // Port 9 (discard) on loopback: nothing listens there on a test machine.
    const { ds } = makeDataSource({ url: 'http://127.0.0.1:9' });
    const result = await ds.testDatasource();
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/Cannot reach Theodolite/);
  });

  it('reports a URL that is not the analytics API', async () => {
    const { ds } = makeDataSource({ url: `${serverUrl()}/not-theodolite` });
    const result = await ds.testDatasource();
    expect(result.status).toBe('error');
    // Theodolite's web UI answers unknown paths with an HTML page (200 when built, 503 when not).
    expect(result.message).toMatch(/not as Theodolite's analytics API/);
  });
});
