import {
  AnnotationSupport,
  CoreApp,
  DataFrame,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  MetricFindValue,
  ScopedVars,
  TimeRange,
} from '@grafana/data';
import { getBackendSrv, getTemplateSrv, isFetchError } from '@grafana/runtime';
import { lastValueFrom, of } from 'rxjs';

import { annotationEvents, groupedTimeSeriesFrames, tableFrame } from './frames';
import { TheodoliteVariableSupport } from './variables';
import { Expand, buildRequest } from './queryParams';
import {
  ApiError,
  ApiRow,
  DEFAULT_QUERY,
  QUERY_TYPES,
  TheodoliteOptions,
  TheodoliteQuery,
  TheodoliteVariableQuery,
  VARIABLE_KINDS,
  VariableKind,
} from './types';

/**
 * The proxy route of plugin.json is named `api` and has no `url`, so Grafana's data source proxy
 * forwards `<proxy url>/api/...` to `<data source URL>/api/...` and adds the route's headers there,
 * on the server: the API key never reaches the browser.
 */
const API_PREFIX = '/api/v1/analytics';

/** Grafana's value of a variable whose "All" is selected. */
const ALL_VALUE = '$__all';

/** Joins a multi-value variable's values so they can be split apart again after replace(). */
const VALUE_SEPARATOR = '\u001f';

export class DataSource extends DataSourceApi<TheodoliteQuery, TheodoliteOptions> {
  readonly apiUrl: string;
  readonly annotations: AnnotationSupport<TheodoliteQuery>;

  constructor(instanceSettings: DataSourceInstanceSettings<TheodoliteOptions>) {
    super(instanceSettings);
    this.apiUrl = `${instanceSettings.url ?? ''}${API_PREFIX}`;
    this.variables = new TheodoliteVariableSupport(this);
    this.annotations = {
      // Errors are the events worth a vertical line: the traces whose worst level is ERROR.
      getDefaultQuery: () => ({ queryType: 'traces', filters: [{ key: 'level', values: ['ERROR'] }], limit: 100 }),
      processEvents: (_annotation, frames) => of(annotationEvents(frames)),
    };
  }

  getDefaultQuery(_app: CoreApp): Partial<TheodoliteQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: TheodoliteQuery): boolean {
    return !query.hide && QUERY_TYPES.includes(query.queryType);
  }

  /** One request per target, all at once; a failing target reports its error, the others still draw. */
  async query(request: DataQueryRequest<TheodoliteQuery>): Promise<DataQueryResponse> {
    const range = { from: request.range.from.valueOf(), to: request.range.to.valueOf() };
    const targets = request.targets.filter((t) => this.filterQuery(t));
    const results = await Promise.all(
      targets.map(async (target) => {
        try {
          return { frames: await this.runTarget(target, range, request.scopedVars) };
        } catch (err) {
          const error: DataQueryError = { refId: target.refId, message: describeError(err), status: statusOf(err) };
          return { frames: [] as DataFrame[], error };
        }
      })
    );
    const errors = results.flatMap((r) => (r.error ? [r.error] : []));
    return { data: results.flatMap((r) => r.frames), errors: errors.length ? errors : undefined };
  }

  private async runTarget(
    target: TheodoliteQuery,
    range: { from: number; to: number },
    scopedVars: ScopedVars
  ): Promise<DataFrame[]> {
    const { path, params } = buildRequest(target, range, this.expander(scopedVars));
    const rows = await this.get<ApiRow[]>(path, params);
    switch (target.queryType) {
      case 'metrics': {
        const groups = target.groupBy ?? [];
        const frames = groupedTimeSeriesFrames(rows, groups, target.refId);
        if (groups.length === 0 && frames[0]) {
          frames[0].name = target.measure;
        }
        return frames;
      }
      case 'costs':
        // The route groups by model unless told otherwise.
        return groupedTimeSeriesFrames(rows, [target.groupBy?.[0] || 'model'], target.refId);
      default:
        return [tableFrame(rows, target.refId, target.queryType)];
    }
  }

  /** Template variable values: `models`, `users`, ... (or `{kind: "models"}`) from /variables/{kind}. */
  async metricFindQuery(
    query: TheodoliteVariableQuery | string,
    options?: { range?: TimeRange; scopedVars?: ScopedVars }
  ): Promise<MetricFindValue[]> {
    // A variable saved by hand may hold a string, or {query: "models"} as other data sources store it.
    const text = typeof query === 'string' ? query : (query?.kind ?? (query as { query?: string })?.query);
    const kind = getTemplateSrv()
      .replace(text ?? '', options?.scopedVars)
      .trim();
    const rows = await this.listVariableValues(kind as VariableKind, options?.range);
    return rows.map((row) => ({ text: String(row.text), value: String(row.value) }));
  }

  /** The values offered for a filter or a variable, most used first. Rejects an unknown kind. */
  async listVariableValues(kind: VariableKind, range?: TimeRange): Promise<Array<{ text: string; value: string }>> {
    if (!VARIABLE_KINDS.includes(kind)) {
      throw new Error(`Unknown variable kind "${kind}"; one of: ${VARIABLE_KINDS.join(', ')}`);
    }
    const params = new URLSearchParams();
    if (range) {
      params.set('from', String(range.from.valueOf()));
      params.set('to', String(range.to.valueOf()));
    }
    return this.get(`variables/${kind}`, params);
  }

  /** "Save & test": which project the key reaches, or why nothing was reached. */
  async testDatasource() {
    try {
      const project = await this.get<{ project_id?: number; name?: string }>('project', new URLSearchParams());
      // A web server's HTML page at the URL answers 200 too; only the API answers a project.
      if (typeof project !== 'object' || project === null || typeof project.name !== 'string') {
        return {
          status: 'error',
          message: notTheApi(200),
        };
      }
      return {
        status: 'success',
        message: `Connected to Theodolite: the API key reaches project "${project.name}" (id ${project.project_id}).`,
      };
    } catch (err) {
      return { status: 'error', message: describeError(err) };
    }
  }

  /** GET one analytics route through Grafana's data source proxy; rejects with Grafana's FetchError. */
  private async get<T>(path: string, params: URLSearchParams): Promise<T> {
    const query = params.toString();
    const response = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: `${this.apiUrl}/${path}${query ? `?${query}` : ''}`,
        method: 'GET',
        // Errors are shown in the panel (and in "Save & test"), not as a toast per request.
        showErrorAlert: false,
      })
    );
    return response.data;
  }

  /** Grafana's template service, a multi-value variable expanding into several values. */
  private expander(scopedVars: ScopedVars): Expand {
    const templateSrv = getTemplateSrv();
    return (text) => {
      if (selectsAll(text, templateSrv.getVariables())) {
        return [];
      }
      return templateSrv
        .replace(text, scopedVars, (value: unknown) =>
          Array.isArray(value) ? value.join(VALUE_SEPARATOR) : String(value ?? '')
        )
        .split(VALUE_SEPARATOR)
        .map((v) => v.trim())
        .filter((v) => v !== '');
    };
  }
}

/**
 * Whether a filter value is just a variable whose "All" is selected. Without a custom all value
 * Grafana would expand it into every value the variable lists: only the values of its last
 * 30 days, and never "no value" (traces without a user). Sending nothing is the API's "no filter".
 */
export function selectsAll(text: string, variables: Array<{ name: string }>): boolean {
  const reference = /^\s*(?:\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\])\s*$/.exec(text);
  if (!reference) {
    return false;
  }
  const name = reference[1] ?? reference[2] ?? reference[3];
  const variable = variables.find((v) => v.name === name) as { current?: { value?: unknown } } | undefined;
  const current = variable?.current?.value;
  return current === ALL_VALUE || (Array.isArray(current) && current.includes(ALL_VALUE));
}

function statusOf(err: unknown): number | undefined {
  return isFetchError(err) ? err.status : undefined;
}

/** Said when something answered at the URL, but not Theodolite's analytics API. */
const notTheApi = (status: number) =>
  `The URL answered ${status}, not as Theodolite's analytics API: is it the Theodolite server (e.g. http://theodolite:4318)?`;

/** A sentence for a panel or "Save & test": the API's own message where it gave one. */
export function describeError(err: unknown): string {
  if (!isFetchError(err)) {
    return err instanceof Error ? err.message : String(err);
  }
  // The API answers errors as {"error": {"message": ...}}; anything else (an HTML page) is not the API.
  const data = (typeof err.data === 'object' && err.data !== null ? err.data : {}) as ApiError;
  const apiMessage = data.error?.message;
  switch (err.status) {
    case 0:
    case 502:
    case 504:
      // Grafana's proxy answers 502 (504 on a timeout) when nothing answers at the data source URL.
      return `Cannot reach Theodolite at the data source URL (${err.status}${err.statusText ? ` ${err.statusText}` : ''}).`;
    case 401:
    case 403:
      return `Theodolite refused the API key (${err.status})${apiMessage ? `: ${apiMessage}` : ''}. Check the key in the data source settings.`;
  }
  if (!apiMessage || (err.status === 404 && apiMessage === 'Not Found')) {
    // No such route: the URL points at another server, or at a path below Theodolite's root.
    return notTheApi(err.status);
  }
  if (err.status === 404) {
    return `Theodolite answered 404: ${apiMessage}. Check the project setting (the key's own project needs none).`;
  }
  if (err.status === 503) {
    return `Theodolite stopped the read (503): ${apiMessage}. Try a shorter range.`;
  }
  return `Theodolite answered ${err.status}: ${apiMessage}`;
}
