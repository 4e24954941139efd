// Builds the plugin's DataSource as Grafana would for a data source configured against the test
// server, with Grafana's backendSrv and template service replaced by the fakes beside this file.
import { DataQueryRequest, DataQueryResponse, DataSourceInstanceSettings, ScopedVars, dateTime } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { DataQuery } from '@grafana/schema';

import { DataSource } from '../datasource';
import pluginJson from '../plugin.json';
import { TheodoliteOptions, TheodoliteQuery } from '../types';
import { RequestLog, grafanaProxyBackendSrv } from './grafanaProxy';
import { DashboardVariables, dashboardTemplateSrv } from './templateSrv';
import { ENV_KEY, ENV_OTHER_KEY, ENV_URL } from './theodoliteServer';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests with jest's globalSetup (npm run test:ci)`);
  }
  return value;
}

export const serverUrl = () => requiredEnv(ENV_URL);
export const apiKey = () => requiredEnv(ENV_KEY);
export const otherApiKey = () => requiredEnv(ENV_OTHER_KEY);

export interface Harness {
  ds: DataSource;
  /** Every URL the plugin asked Grafana's proxy for, in order. */
  requests: RequestLog;
}

export function makeDataSource(
  options: { apiKey?: string; url?: string; project?: string; variables?: DashboardVariables } = {}
): Harness {
  const proxyUrl = '/api/datasources/proxy/uid/theodolite-test';
  const jsonData: TheodoliteOptions = options.project ? { project: options.project } : {};
  const requests: RequestLog = [];
  setBackendSrv(
    grafanaProxyBackendSrv(
      {
        proxyUrl,
        url: options.url ?? serverUrl(),
        jsonData: { ...jsonData },
        secureJsonData: { apiKey: options.apiKey ?? apiKey() },
      },
      requests
    )
  );
  setTemplateSrv(dashboardTemplateSrv(options.variables ?? {}));
  const settings = {
    id: 1,
    uid: 'theodolite-test',
    type: pluginJson.id,
    name: 'Theodolite',
    access: 'proxy',
    url: proxyUrl,
    jsonData,
    readOnly: false,
    meta: { id: pluginJson.id, name: pluginJson.name, type: 'datasource', info: pluginJson.info },
  } as unknown as DataSourceInstanceSettings<TheodoliteOptions>;
  return { ds: new DataSource(settings), requests };
}

/** A request as a dashboard panel sends it, for [from, to) in epoch milliseconds. */
export function makeRequest<Q extends DataQuery = TheodoliteQuery>(
  targets: Q[],
  fromMs: number,
  toMs: number,
  scopedVars: ScopedVars = {}
): DataQueryRequest<Q> {
  const from = dateTime(fromMs);
  const to = dateTime(toMs);
  return {
    requestId: 'test',
    interval: '1m',
    intervalMs: MINUTE_MS,
    range: { from, to, raw: { from, to } },
    scopedVars,
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  } as DataQueryRequest<Q>;
}

/** Runs one request; fails the test with the API's messages if any target failed. */
export async function run(ds: DataSource, request: DataQueryRequest<TheodoliteQuery>): Promise<DataQueryResponse> {
  const response = await ds.query(request);
  if (response.errors?.length) {
    throw new Error(`query failed: ${response.errors.map((e) => `${e.refId}: ${e.message}`).join('; ')}`);
  }
  return response;
}

/** The last whole minute: the metrics route widens ranges to whole minutes, so aligned ranges compare exactly. */
export function lastWholeMinute(): number {
  return Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
}
