// Request URLs: checked when the file is loaded, resolved against base-url when a check runs.
import { stripUrlCredentials } from '@shiprail/core';
import { TEMPLATE } from './template.ts';

/** Why a request URL cannot work, or undefined. Placeholders stand in for a value here. */
export function urlProblem(url: string, baseUrl: string): string | undefined {
  const problem = findUrlProblem(url, baseUrl);
  // The message quotes the URL: never with the credential it may carry.
  return problem === undefined ? undefined : stripUrlCredentials(problem);
}

function findUrlProblem(url: string, baseUrl: string): string | undefined {
  const sample = url.replace(TEMPLATE, 'x');
  if (/^[a-z][a-z0-9+.-]*:/i.test(sample)) {
    let parsed: URL;
    try {
      parsed = new URL(sample);
    } catch {
      return `'${url}' is not a valid URL`;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `'${url}' is not an http or https URL`;
    return undefined;
  }
  if (baseUrl === '') return `'${url}' is relative, but the base-url input is not set; set it or give an absolute URL`;
  try {
    new URL(joinUrl(baseUrl, sample));
  } catch {
    return `'${url}' does not make a valid URL with base-url`;
  }
  return undefined;
}

/**
 * Resolves a request URL: absolute URLs stay; others are appended to base-url, so that a base-url with
 * a path prefix (`https://host/api`) keeps it, as a user of a curl loop would expect.
 */
export function joinUrl(baseUrl: string, url: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  if (url === '') return baseUrl;
  const base = baseUrl.replace(/\/+$/, '');
  return url.startsWith('/') || url.startsWith('?') ? `${base}${url}` : `${base}/${url}`;
}
