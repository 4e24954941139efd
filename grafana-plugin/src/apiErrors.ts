// What the plugin says when a request fails: Grafana's FetchError (from its data source proxy) into
// a sentence for a panel or for "Save & test".
import { isFetchError } from '@grafana/runtime';

import { ApiError } from './types';

export function statusOf(err: unknown): number | undefined {
  return isFetchError(err) ? err.status : undefined;
}

/** Said when something answered at the URL, but not Theodolite's analytics API. */
export const notTheApi = (status: number) =>
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
