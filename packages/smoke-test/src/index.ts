// What the tests import: every part of the step, by name.
export { loadCheckSource, parseCheckFile } from './check-file.ts';
export type { Check } from './check-types.ts';
export { jsonPathProblem } from './parse-expect.ts';
export { joinUrl, urlProblem } from './urls.ts';
export { evaluate, evaluateJson, compare, formatFailure } from './assertions.ts';
export { send, type HttpRequest, type HttpResponse } from './http.ts';
export { renderJUnit, escapeXml } from './junit.ts';
export { headerSecrets, type Secrets } from './redact.ts';
export { runChecks, type CheckResult } from './check-runner.ts';
export { runScheduled } from './scheduler.ts';
export { parseStatusExpectation, statusMatches } from './status.ts';
export { parseTextMatcher, textMatches } from './text-matcher.ts';
export { fillTemplate, fillJsonTemplate } from './template.ts';
export { MAX_CONCURRENCY, parseInputs, type SmokeTestInputs } from './inputs.ts';
export { runSmokeTest } from './run.ts';
export { renderSummary } from './summary.ts';
