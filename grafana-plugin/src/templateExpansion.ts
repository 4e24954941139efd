// Template variables in filter values and intervals, through Grafana's template service.
import { ScopedVars } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

import { Expand } from './queryParams';

/** Grafana's value of a variable whose "All" is selected. */
const ALL_VALUE = '$__all';

/** Joins a multi-value variable's values so they can be split apart again after replace(). */
const VALUE_SEPARATOR = '\u001f';

/** One text into its values: a multi-value variable gives one value per selection, "All" none. */
export function templateExpander(templateSrv: TemplateSrv, scopedVars: ScopedVars): Expand {
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
