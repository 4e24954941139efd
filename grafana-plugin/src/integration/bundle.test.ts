// The built plugin (dist/, what the zip holds) loaded as Grafana loads it: module.js is an AMD
// module whose dependencies Grafana provides (its own @grafana/data, @grafana/runtime,
// @grafana/ui, react, rxjs), and plugin.json is read as built. Its DataSource then answers
// "Save & test" and a query against the real server.
import fs from 'fs';
import path from 'path';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as react from 'react';
import * as rxjs from 'rxjs';

import { DataSource } from '../datasource';
import { apiKey, lastWholeMinute, DAY_MS, makeRequest, serverUrl } from '../test/harness';
import { grafanaProxyBackendSrv } from '../test/grafanaProxy';
import { dashboardTemplateSrv } from '../test/templateSrv';
import { TheodoliteOptions } from '../types';

const DIST = path.resolve(__dirname, '..', '..', 'dist');

function readBuilt(name: string): string {
  const file = path.join(DIST, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: build the plugin first (scripts/build-grafana-plugin)`);
  }
  return fs.readFileSync(file, 'utf8');
}

/** Runs module.js with an AMD `define` that hands it the packages Grafana shares with plugins. */
function loadBuiltModule(): { plugin: grafanaData.DataSourcePlugin<DataSource> } {
  const provided: Record<string, unknown> = {
    '@grafana/data': grafanaData,
    '@grafana/runtime': grafanaRuntime,
    '@grafana/ui': grafanaUi,
    react,
    rxjs,
    // SystemJS's module object: webpack derives the public path of the plugin's assets from it.
    module: { uri: '/public/plugins/theodolite-datasource/module.js' },
  };
  let exported: unknown;
  const define = (dependencies: string[], factory: (...modules: unknown[]) => unknown) => {
    exported = factory(
      ...dependencies.map((name) => {
        if (!(name in provided)) {
          throw new Error(`module.js needs ${name}, which Grafana does not share with plugins`);
        }
        return provided[name];
      })
    );
  };
  // Evaluating the built bundle is the point of this test.
  new Function('define', readBuilt('module.js'))(define);
  return exported as { plugin: grafanaData.DataSourcePlugin<DataSource> };
}

describe('the built plugin', () => {
  it('has the plugin id, version and proxy route in its plugin.json', () => {
    const pluginJson = JSON.parse(readBuilt('plugin.json'));
    const packageJson = JSON.parse(fs.readFileSync(path.resolve(DIST, '..', 'package.json'), 'utf8'));
    expect(pluginJson).toMatchObject({
      id: 'theodolite-datasource',
      type: 'datasource',
      backend: false,
      alerting: false,
      info: { version: packageJson.version },
    });
    expect(pluginJson.routes).toEqual([
      expect.objectContaining({
        path: 'api',
        headers: expect.arrayContaining([{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiKey }}' }]),
      }),
    ]);
  });

  it('exports a data source plugin whose DataSource reaches the server', async () => {
    const { plugin } = loadBuiltModule();
    expect(plugin).toBeInstanceOf(grafanaData.DataSourcePlugin);
    expect(plugin.components.ConfigEditor).toBeDefined();
    expect(plugin.components.QueryEditor).toBeDefined();

    const proxyUrl = '/api/datasources/proxy/uid/theodolite-built';
    grafanaRuntime.setBackendSrv(
      grafanaProxyBackendSrv({ proxyUrl, url: serverUrl(), jsonData: {}, secureJsonData: { apiKey: apiKey() } })
    );
    grafanaRuntime.setTemplateSrv(dashboardTemplateSrv({}));
    const ds = new plugin.DataSourceClass({
      id: 2,
      uid: 'theodolite-built',
      type: 'theodolite-datasource',
      name: 'Theodolite (built)',
      url: proxyUrl,
      jsonData: {},
      meta: { id: 'theodolite-datasource' },
    } as unknown as grafanaData.DataSourceInstanceSettings<TheodoliteOptions>);
    expect(await ds.testDatasource()).toMatchObject({ status: 'success' });
    const to = lastWholeMinute();
    const response = await ds.query(
      makeRequest([{ refId: 'A', queryType: 'metrics', measure: 'trace_count', interval: 'total' }], to - DAY_MS, to)
    );
    expect(response.errors).toBeUndefined();
    expect(response.data[0].fields[1].values[0]).toBeGreaterThan(0);
  });
});
