// The check file: read, parsed and validated section by section. Everything a user can get wrong is found
// here, before any request is sent, and reported with its path (`checks[2].expect.status`) and line.
import {
  ConfigurationError,
  parseYamlDocument,
  stripUrlCredentials,
  type MistakeLocation,
  type YamlPath,
} from '@shiprail/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Check, CheckFile, CheckRequest } from './check-types.ts';
import { parseExpect } from './parse-expect.ts';
import { parseRequest } from './parse-request.ts';
import { parseCapture, parseRetry } from './parse-retry.ts';
import { isMapping, Mistakes } from './parse-values.ts';
import { templateNames } from './template.ts';

const CHECK_KEYS = ['name', 'request', 'expect', 'retry', 'capture'];

export interface LoadOptions {
  /** Directory that relative `ca` paths are resolved against. */
  baseDirectory: string;
  /** base-url input ('' when not given): relative request URLs need it. */
  baseUrl: string;
}

/** Reads the `checks` input: a path to a YAML file, or the YAML itself. */
export function loadCheckSource(checks: string, baseDirectory: string): { text: string; location: MistakeLocation } {
  if (/\n/.test(checks) || /^\s*checks\s*:/.test(checks)) return { text: checks, location: { input: 'checks' } };
  const path = resolve(baseDirectory, checks);
  try {
    return { text: readFileSync(path, 'utf8'), location: { file: checks } };
  } catch (error) {
    const reason =
      error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigurationError(`cannot read the check file '${checks}' (${reason}); give a path or the YAML itself`, {
      input: 'checks',
    });
  }
}

/** Parses and validates a check file. Throws one ConfigurationError naming every mistake. */
export async function parseCheckFile(
  text: string,
  location: MistakeLocation,
  options: LoadOptions,
): Promise<CheckFile> {
  const parsed = await parseYamlDocument(text, location);
  const mistakes = new Mistakes((path, message) => {
    const error = parsed.mistake(path, message);
    // An inline input has no file to point at: keep the line in the message.
    if (location.input !== undefined && error.location.line !== undefined) {
      return new ConfigurationError(`line ${error.location.line}: ${error.message}`, error.location);
    }
    return error;
  });
  const root = parsed.value;
  const checks: Check[] = [];
  if (!isMapping(root) || !Array.isArray(root['checks'])) {
    mistakes.add(isMapping(root) ? ['checks'] : [], "expected a mapping with a 'checks' list");
  } else {
    mistakes.unknownKeys(root, [], ['checks'], 'key');
    const names = new Set<string>();
    const captured = new Set<string>();
    root['checks'].forEach((raw: unknown, index: number) => {
      const check = parseCheck(raw, index, mistakes, options, parsed.lineOf(['checks', index]));
      if (check === undefined) return;
      const named = isMapping(raw) && raw['name'] !== undefined;
      if (names.has(check.name) && named) {
        mistakes.add(['checks', index, 'name'], `the name '${check.name}' is used twice; names must be unique`);
      } else if (names.has(check.name)) {
        // Two unnamed checks of the same URL: tell them apart by position rather than refuse the file.
        check.name = `${check.name} (#${index + 1})`;
      }
      names.add(check.name);
      for (const name of check.needs) {
        if (!captured.has(name)) {
          mistakes.add(
            ['checks', index, 'request'],
            `{{${name}}} is not captured by an earlier check; add capture: { ${name}: "$.path" } to one above`,
          );
        }
      }
      for (const { name } of check.capture) captured.add(name);
      checks.push(check);
    });
    if (root['checks'].length === 0) mistakes.add(['checks'], 'the list is empty; add at least one check');
  }
  const [first, ...rest] = mistakes.found;
  if (first !== undefined) {
    const message = rest.length === 0 ? first.message : [first.message, ...rest.map((e) => e.describe())].join('; ');
    throw new ConfigurationError(message, first.location);
  }
  return { checks, location };
}

function parseCheck(
  raw: unknown,
  index: number,
  mistakes: Mistakes,
  options: LoadOptions,
  line: number | undefined,
): Check | undefined {
  const path: YamlPath = ['checks', index];
  if (!isMapping(raw)) return mistakes.add(path, 'expected a mapping with request and expect');
  mistakes.unknownKeys(raw, path, CHECK_KEYS, 'key');
  const request = parseRequest(raw['request'], [...path, 'request'], mistakes, options);
  const expect = parseExpect(raw['expect'], [...path, 'expect'], mistakes);
  const retry = raw['retry'] === undefined ? undefined : parseRetry(raw['retry'], [...path, 'retry'], mistakes);
  const capture = parseCapture(raw['capture'], [...path, 'capture'], mistakes);
  // The default name shows the URL as written, less any credential in it.
  let name = request === undefined ? `check ${index + 1}` : `${request.method} ${stripUrlCredentials(request.url)}`;
  if (raw['name'] !== undefined) {
    if (typeof raw['name'] !== 'string' || raw['name'].trim() === '')
      mistakes.add([...path, 'name'], 'expected a non-empty string');
    else name = raw['name'].trim();
  }
  if (request === undefined || expect === undefined) return undefined;
  return {
    index,
    name,
    ...(line === undefined ? {} : { line }),
    request,
    expect,
    ...(retry === undefined ? {} : { retry }),
    capture,
    needs: requestTemplateNames(request),
  };
}

function requestTemplateNames(request: CheckRequest): string[] {
  const texts = [request.url, ...request.headers.map(([, value]) => value)];
  if (request.body?.kind === 'text') texts.push(request.body.text);
  if (request.body?.kind === 'json') texts.push(JSON.stringify(request.body.value));
  return [...new Set(texts.flatMap(templateNames))];
}
