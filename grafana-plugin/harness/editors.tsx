// The plugin's two editors on a page of their own, as Grafana's data source settings page and a
// panel's query tab show them, for a browser test and the documentation's screenshots. The
// DataSource is the plugin's own; its requests go to `<page origin>/api/datasources/proxy/uid/...`
// as they do in Grafana, and the page's server plays Grafana's data source proxy (it adds the API
// key, which this page never holds).
import React, { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { DataFrame, DataSourceInstanceSettings, DataSourceSettings, createTheme, dateTime } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { Alert, Button, GlobalStyles, ThemeContext } from '@grafana/ui';
import { from } from 'rxjs';

import { ConfigEditor } from '../src/components/ConfigEditor';
import { QueryEditor } from '../src/components/QueryEditor';
import { DataSource } from '../src/datasource';
import pluginJson from '../src/plugin.json';
import { asFetchResponse } from '../src/test/grafanaProxy';
import { dashboardTemplateSrv } from '../src/test/templateSrv';
import { DEFAULT_QUERY, TheodoliteOptions, TheodoliteQuery, TheodoliteSecureJsonData } from '../src/types';

const UID = 'theodolite-harness';
const PROXY_URL = `/api/datasources/proxy/uid/${UID}`;
const DAY_MS = 24 * 60 * 60 * 1000;
const params = new URLSearchParams(window.location.search);

/** backendSrv.fetch as Grafana's frontend does it: same-origin, a FetchError for an error status. */
async function fetchSameOrigin<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
  const response = await window.fetch(options.url, {
    method: options.method ?? 'GET',
    headers: { Accept: 'application/json' },
  });
  return asFetchResponse<T>(response, options);
}

setBackendSrv({ fetch: (options: BackendSrvRequest) => from(fetchSameOrigin(options)) } as unknown as BackendSrv);
// A dashboard with one variable, so that the filter pickers offer `$model` beside the server's values.
setTemplateSrv(dashboardTemplateSrv({ model: ['gpt-4o-mini'] }));

const instanceSettings = {
  id: 1,
  uid: UID,
  type: pluginJson.id,
  name: 'Theodolite',
  access: 'proxy',
  url: PROXY_URL,
  jsonData: {},
  readOnly: false,
  meta: { id: pluginJson.id, name: pluginJson.name, type: 'datasource', info: pluginJson.info },
} as unknown as DataSourceInstanceSettings<TheodoliteOptions>;
const datasource = new DataSource(instanceSettings);

type Settings = DataSourceSettings<TheodoliteOptions, TheodoliteSecureJsonData>;

function ConfigSection() {
  // As Grafana shows a saved data source: the URL as typed, the key only as "configured".
  const [options, setOptions] = useState<Settings>({
    ...(instanceSettings as unknown as Settings),
    url: params.get('url') ?? '',
    jsonData: { project: params.get('project') ?? '' },
    secureJsonFields: { apiKey: true },
    secureJsonData: {},
  });
  const [health, setHealth] = useState<{ status: string; message: string } | null>(null);
  return (
    <section data-testid="config-editor" className="harness-panel">
      <h3>Theodolite data source settings</h3>
      <ConfigEditor options={options} onOptionsChange={setOptions} />
      <div className="harness-actions">
        <Button onClick={async () => setHealth(await datasource.testDatasource())}>Save &amp; test</Button>
      </div>
      {health && (
        <div data-testid="health">
          <Alert severity={health.status === 'success' ? 'success' : 'error'} title={health.message} />
        </div>
      )}
    </section>
  );
}

/** What a panel would draw from, told as text: one line per frame (series), its name and rows. */
function describeFrames(frames: DataFrame[]): string[] {
  return frames.map(
    (frame) => `${frame.name ?? frame.refId ?? 'A'}: ${frame.length} ${frame.length === 1 ? 'row' : 'rows'}`
  );
}

function QuerySection() {
  const [query, setQuery] = useState<TheodoliteQuery>({ refId: 'A', ...DEFAULT_QUERY } as TheodoliteQuery);
  // onRunQuery follows onChange at once, before React re-renders: it reads the latest query here.
  const latest = useRef(query);
  const [result, setResult] = useState<{ lines: string[]; error?: string }>({ lines: [] });
  // Only the newest run's answer is shown, as a panel cancels the run a change supersedes.
  const runs = useRef(0);
  const runQuery = async () => {
    const run = ++runs.current;
    const now = Date.now();
    const from = dateTime(now - 7 * DAY_MS);
    const to = dateTime(now);
    const response = await datasource.query({
      requestId: 'harness',
      interval: '1h',
      intervalMs: 60 * 60 * 1000,
      range: { from, to, raw: { from, to } },
      scopedVars: {},
      targets: [latest.current],
      timezone: 'utc',
      app: 'panel-editor',
      startTime: now,
    });
    if (run !== runs.current) {
      return;
    }
    setResult({ lines: describeFrames(response.data), error: response.errors?.map((e) => e.message).join('; ') });
  };
  // A panel runs its query when it opens, before any change.
  const firstRun = useRef(runQuery);
  useEffect(() => {
    firstRun.current();
  }, []);
  return (
    <section data-testid="query-editor" className="harness-panel">
      <h3>Query</h3>
      <QueryEditor
        datasource={datasource}
        query={query}
        onChange={(next) => {
          latest.current = next;
          setQuery(next);
        }}
        onRunQuery={runQuery}
      />
      <ul data-testid="query-result" className="harness-result">
        {result.error && <li data-testid="query-error">{result.error}</li>}
        {result.lines.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </section>
  );
}

const theme = createTheme({ colors: { mode: params.get('theme') === 'light' ? 'light' : 'dark' } });

function Page() {
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <style>{`
        body { padding: 16px; }
        .harness-panel { padding: 16px; margin-bottom: 16px; width: fit-content; min-width: 760px;
          background: ${theme.colors.background.primary}; border: 1px solid ${theme.colors.border.weak}; }
        .harness-actions { margin-top: 16px; }
        .harness-result { margin: 12px 0 0; padding-left: 18px; color: ${theme.colors.text.secondary}; }
      `}</style>
      {params.get('show') !== 'query' && <ConfigSection />}
      {params.get('show') !== 'config' && <QuerySection />}
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(<Page />);
