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
import { getBackendSrv, getTemplateSrv } from '@grafana/runtime';
import { lastValueFrom, of } from 'rxjs';

import { describeError, notTheApi, statusOf } from './apiErrors';
import { annotationEvents, groupedTimeSeriesFrames, tableFrame } from './frames';
import { buildRequest } from './queryParams';
import { templateExpander } from './templateExpansion';
import { TheodoliteVariableSupport } from './variables';
import {
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
    const { path, params } = buildRequest(target, range, templateExpander(getTemplateSrv(), scopedVars));
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
}
