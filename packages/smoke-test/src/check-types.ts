// What a check file holds once it is validated: the types the runner and the assertions work on.
import type { MistakeLocation } from '@shiprail/core';
import type { Regex } from './regex.ts';
import type { StatusExpectation } from './status.ts';
import type { TextMatcher } from './text-matcher.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY_INTERVAL_MS = 1_000;

export type RequestBody = { kind: 'text'; text: string } | { kind: 'json'; value: unknown };

export interface CheckRequest {
  method: string;
  /** As written: may hold `{{capture}}` placeholders and be relative to base-url. */
  url: string;
  headers: Array<[string, string]>;
  body?: RequestBody;
  timeoutMs: number;
  followRedirects: boolean;
  /** PEM text of extra certificate authorities to trust. */
  ca?: string;
  insecure: boolean;
}

export const COMPARISON_OPERATORS = ['==', '!=', '>', '>=', '<', '<='] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];
export const JSON_OPERATORS = [...COMPARISON_OPERATORS, 'exists', 'length', 'matches'] as const;

export type JsonOperator =
  | { op: ComparisonOperator; value: unknown }
  | { op: 'exists'; value: boolean }
  | { op: 'length'; comparisons: Array<{ op: ComparisonOperator; value: number }> }
  | { op: 'matches'; pattern: string; regex: Regex };

export interface JsonAssertion {
  path: string;
  operators: JsonOperator[];
}

export interface HeaderExpectation {
  name: string;
  matcher: TextMatcher;
}

export interface Expectations {
  status: StatusExpectation;
  headers: HeaderExpectation[];
  body: TextMatcher[];
  json: JsonAssertion[];
  maxLatencyMs?: number;
}

/** A check's `retry:` block: try again until it passes or `untilMs` has gone by. */
export interface CheckRetry {
  untilMs: number;
  intervalMs: number;
  maxIntervalMs: number;
}

export interface Check {
  /** Position in the file (0-based): results are reported in this order. */
  index: number;
  name: string;
  line?: number;
  request: CheckRequest;
  expect: Expectations;
  retry?: CheckRetry;
  /** Values taken from this check's JSON response: `{{name}}` in later checks. */
  capture: Array<{ name: string; path: string }>;
  /** Capture names this check's request uses. */
  needs: string[];
}

export interface CheckFile {
  checks: Check[];
  /** Where mistakes found later (none expected) would point. */
  location: MistakeLocation;
}
