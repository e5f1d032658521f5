// The `request` section of a check.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { YamlPath } from '@shiprail/core';
import { DEFAULT_REQUEST_TIMEOUT_MS, type CheckRequest, type RequestBody } from './check-types.ts';
import type { LoadOptions } from './check-file.ts';
import { describeValue, isMapping, parseBoolean, parseDurationAt, type Mistakes } from './parse-values.ts';
import { urlProblem } from './urls.ts';

const REQUEST_KEYS = ['method', 'url', 'headers', 'body', 'json', 'timeout', 'follow-redirects', 'ca', 'insecure'];
const METHOD = /^[A-Z]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseRequest(
  raw: unknown,
  path: YamlPath,
  mistakes: Mistakes,
  options: LoadOptions,
): CheckRequest | undefined {
  if (!isMapping(raw)) return mistakes.add(path, 'expected a mapping like { method: GET, url: /healthz }');
  mistakes.unknownKeys(raw, path, REQUEST_KEYS, 'request key');
  let ok = true;
  const fail = (at: string, message: string): void => {
    ok = false;
    mistakes.add([...path, at], message);
  };

  let method = 'GET';
  if (raw['method'] !== undefined) {
    if (typeof raw['method'] === 'string' && METHOD.test(raw['method'].toUpperCase()))
      method = raw['method'].toUpperCase();
    else fail('method', `expected an HTTP method like GET or POST, got ${describeValue(raw['method'])}`);
  }

  const url = raw['url'];
  if (typeof url !== 'string' || url.trim() === '') {
    fail('url', `expected a URL (absolute, or a path relative to base-url), got ${describeValue(url)}`);
  } else {
    const problem = urlProblem(url.trim(), options.baseUrl);
    if (problem !== undefined) fail('url', problem);
  }

  const headers: Array<[string, string]> = [];
  if (raw['headers'] !== undefined) {
    if (!isMapping(raw['headers'])) fail('headers', 'expected a mapping of header names to values');
    else {
      for (const [name, value] of Object.entries(raw['headers'])) {
        if (!HEADER_NAME.test(name)) fail('headers', `'${name}' is not a valid header name`);
        else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          ok = false;
          mistakes.add([...path, 'headers', name], `expected a text value, got ${describeValue(value)}`);
        } else headers.push([name, String(value)]);
      }
    }
  }

  let body: RequestBody | undefined;
  if (raw['body'] !== undefined && raw['json'] !== undefined) fail('json', 'give either body (text) or json, not both');
  else if (raw['body'] !== undefined) {
    if (typeof raw['body'] !== 'string') fail('body', 'expected text; to send JSON, use json: instead');
    else body = { kind: 'text', text: raw['body'] };
  } else if (raw['json'] !== undefined) body = { kind: 'json', value: raw['json'] };

  let timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  if (raw['timeout'] !== undefined) {
    const parsed = parseDurationAt(raw['timeout'], [...path, 'timeout'], mistakes);
    if (parsed === undefined) ok = false;
    else if (parsed <= 0) fail('timeout', 'must be more than zero');
    else timeoutMs = parsed;
  }

  const flag = (key: string, fallback: boolean): boolean => {
    if (raw[key] === undefined) return fallback;
    const parsed = parseBoolean(raw[key], [...path, key], mistakes);
    if (parsed === undefined) ok = false;
    return parsed ?? fallback;
  };
  const followRedirects = flag('follow-redirects', true);
  const insecure = flag('insecure', false);

  let ca: string | undefined;
  if (raw['ca'] !== undefined) {
    if (typeof raw['ca'] !== 'string' || raw['ca'].trim() === '') fail('ca', 'expected the path of a PEM file');
    else {
      try {
        ca = readFileSync(resolve(options.baseDirectory, raw['ca'].trim()), 'utf8');
        if (!ca.includes('-----BEGIN CERTIFICATE-----')) fail('ca', `'${raw['ca']}' holds no PEM certificate`);
      } catch {
        fail('ca', `cannot read '${raw['ca']}'; give the path of a PEM file, relative to the working directory`);
      }
    }
  }

  if (!ok || typeof url !== 'string') return undefined;
  return {
    method,
    url: url.trim(),
    headers,
    ...(body === undefined ? {} : { body }),
    timeoutMs,
    followRedirects,
    ...(ca === undefined ? {} : { ca }),
    insecure,
  };
}
