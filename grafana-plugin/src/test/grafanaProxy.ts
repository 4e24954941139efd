// What Grafana's server does between the plugin and Theodolite, for jest: backendSrv.fetch with
// Grafana's data source proxy behind it. A request to `<proxy url>/<route path>/...` goes to the
// data source URL with the headers of the matching plugin.json route, their `{{ .SecureJsonData.x }}`
// and `{{ .JsonData.x | orEmpty }}` filled in as Grafana's Go templates fill them. This is a fake
// at the Grafana process boundary; the requests reach a real Theodolite server over HTTP.
import { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { Observable, from } from 'rxjs';

import pluginJson from '../plugin.json';

export interface ProxiedDataSource {
  /** What Grafana gives the plugin as instanceSettings.url. */
  proxyUrl: string;
  /** The data source's URL setting: where the proxy forwards. */
  url: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

interface Route {
  path: string;
  url?: string;
  headers?: Array<{ name: string; content: string }>;
}

/** Go's text/template over Grafana's templateData, for the forms plugin.json routes use. */
export function interpolateRouteTemplate(text: string, ds: ProxiedDataSource): string {
  return text.replace(
    /\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*(\|\s*orEmpty\s*)?\}\}/g,
    (_m, bag, key, orEmpty) => {
      if (bag === 'SecureJsonData') {
        // map[string]string: a missing key is the zero value, "".
        return ds.secureJsonData[key] ?? '';
      }
      const value = ds.jsonData[key];
      if (value === undefined || value === null) {
        // map[string]any: a missing key prints "<no value>" unless piped through orEmpty.
        return orEmpty ? '' : '<no value>';
      }
      return String(value);
    }
  );
}

/** An HTTP response as backendSrv.fetch hands it on: JSON parsed, a FetchError for an error status. */
export async function asFetchResponse<T>(response: Response, options: BackendSrvRequest): Promise<FetchResponse<T>> {
  const body = await response.text();
  let data: unknown = body;
  try {
    data = body ? JSON.parse(body) : undefined;
  } catch {
    // Not JSON: Grafana hands the text on as it is.
  }
  if (!response.ok) {
    const error: FetchError = { status: response.status, statusText: response.statusText, data, config: options };
    throw error;
  }
  return {
    data: data as T,
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    headers: response.headers,
    redirected: response.redirected,
    type: response.type,
    url: response.url,
    config: options,
  };
}

/** The URLs the plugin asked for, newest last: tests read the parameters sent. */
export type RequestLog = string[];

export function grafanaProxyBackendSrv(ds: ProxiedDataSource, requests: RequestLog = []): BackendSrv {
  const routes = (pluginJson as { routes?: Route[] }).routes ?? [];

  const fetchThroughProxy = async <T>(options: BackendSrvRequest): Promise<FetchResponse<T>> => {
    requests.push(options.url);
    const prefix = `${ds.proxyUrl}/`;
    if (!options.url.startsWith(prefix)) {
      throw new Error(`the plugin called ${options.url}, outside its data source proxy ${ds.proxyUrl}`);
    }
    const proxyPath = options.url.slice(prefix.length);
    const route = routes.find((r) => proxyPath.startsWith(r.path));
    const headers: Record<string, string> = { Accept: 'application/json' };
    let target = `${ds.url.replace(/\/$/, '')}/${proxyPath}`;
    if (route) {
      if (route.url) {
        // A route with a URL replaces the data source URL and drops its own path prefix.
        const base = interpolateRouteTemplate(route.url, ds).replace(/\/$/, '');
        target = `${base}/${proxyPath.slice(route.path.length).replace(/^\//, '')}`;
      }
      for (const header of route.headers ?? []) {
        headers[header.name] = interpolateRouteTemplate(header.content, ds);
      }
    }
    let response: Response;
    try {
      response = await fetch(target, { method: options.method ?? 'GET', headers, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      // Grafana's proxy answers 502 when nothing answers at the data source URL.
      const error: FetchError = {
        status: 502,
        statusText: 'Bad Gateway',
        data: { message: String(err) },
        config: options,
      };
      throw error;
    }
    return asFetchResponse<T>(response, options);
  };

  const unsupported = () => {
    throw new Error('the plugin only uses backendSrv.fetch');
  };
  return {
    fetch: <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> => from(fetchThroughProxy<T>(options)),
    get: unsupported,
    delete: unsupported,
    post: unsupported,
    patch: unsupported,
    put: unsupported,
    request: unsupported,
    datasourceRequest: unsupported,
    chunked: unsupported,
  } as unknown as BackendSrv;
}
