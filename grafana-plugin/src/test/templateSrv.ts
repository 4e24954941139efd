// Grafana's template service as a dashboard with variables provides it, for jest: `$name`,
// `${name}`, `${name:format}` and `[[name]]`, scoped variables first. A multi-value variable is
// handed to a format function as an array and, without one, formatted as Grafana's default does
// (`{a,b}`). Only the formats the plugin may meet are implemented.
import { ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

/** A variable's current value: one, several, or "All" selected (no custom all value) over these options. */
export type DashboardVariables = Record<string, string | string[] | { all: string[] }>;

const ALL_VALUE = '$__all';

/** What replace() formats: "All" without a custom all value becomes every option, as Grafana does. */
const isAll = (variable: DashboardVariables[string]): variable is { all: string[] } =>
  typeof variable === 'object' && !Array.isArray(variable);
const valueOf = (variable: DashboardVariables[string]) => (isAll(variable) ? variable.all : variable);

const VARIABLE = /\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]/g;

function formatValue(value: string | string[], format: string | Function | undefined, name: string): string {
  if (typeof format === 'function') {
    return format(value, { name });
  }
  if (!Array.isArray(value)) {
    return value;
  }
  switch (format) {
    case 'csv':
      return value.join(',');
    case 'pipe':
      return value.join('|');
    case 'json':
      return JSON.stringify(value);
    default:
      return value.length === 1 ? value[0] : `{${value.join(',')}}`;
  }
}

export function dashboardTemplateSrv(variables: DashboardVariables): TemplateSrv {
  return {
    getVariables: () =>
      Object.entries(variables).map(
        ([name, variable]) =>
          ({
            name,
            type: 'custom',
            current: { value: isAll(variable) ? [ALL_VALUE] : variable },
          }) as unknown as TypedVariableModel
      ),
    replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
      if (!target) {
        return target ?? '';
      }
      return target.replace(VARIABLE, (match, plain, braced, bracedFormat, bracketed) => {
        const name = plain ?? braced ?? bracketed;
        const scoped = scopedVars?.[name];
        const value =
          scoped !== undefined ? String(scoped.value) : name in variables ? valueOf(variables[name]) : undefined;
        if (value === undefined) {
          return match;
        }
        return formatValue(value, bracedFormat ?? format, name);
      });
    },
    containsTemplate: (target?: string) => Boolean(target && new RegExp(VARIABLE.source).test(target)),
    updateTimeRange: () => undefined,
  };
}
