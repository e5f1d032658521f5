// RFC 9535 JSONPath over a response body, bounded: an evaluation reads at most MAX_JSONPATH_READS values
// and stops at the run's deadline, so an expression like `$..*..*..*` on a large document fails its
// check instead of filling the heap. Only the first node is ever needed, so nodes are produced lazily.
import {
  FunctionExpressionType,
  JSONPathEnvironment,
  JSONPathError,
  type FilterFunction,
  type JSONPathQuery,
  type JSONValue,
} from 'json-p3';
import { compileRegex, type Regex } from './regex.ts';

/** Values (members, elements, lengths) one evaluation may read. */
export const MAX_JSONPATH_READS = 1_000_000;
/** How often, in reads, the deadline is looked at. */
const DEADLINE_STRIDE = 1024;

export interface JsonPathLimits {
  /** Epoch milliseconds after which an evaluation stops. */
  deadline?: number;
  now?: () => number;
  maxReads?: number;
}

/** An evaluation that went past its limits (or past what the library can walk). */
export class JsonPathLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathLimitError';
  }
}

/**
 * match() and search() of RFC 9535 on RE2. I-Regexp's `.` is any character but a line break; a pattern
 * RE2 cannot run matches nothing, as the RFC says of an invalid pattern.
 */
class RegexFunction implements FilterFunction {
  readonly argTypes = [FunctionExpressionType.ValueType, FunctionExpressionType.ValueType];
  readonly returnType = FunctionExpressionType.LogicalType;
  private readonly whole: boolean;
  private readonly cache = new Map<string, Regex | undefined>();

  constructor(whole: boolean) {
    this.whole = whole;
  }

  call(value: unknown, pattern: unknown): boolean {
    if (typeof value !== 'string' || typeof pattern !== 'string') return false;
    if (!this.cache.has(pattern)) {
      if (this.cache.size >= 64) this.cache.clear();
      const source = iRegexpToRe2(pattern);
      const regex = compileRegex(this.whole ? `^(?:${source})$` : source);
      this.cache.set(pattern, typeof regex === 'string' ? undefined : regex);
    }
    return this.cache.get(pattern)?.test(value) ?? false;
  }
}

/** I-Regexp (RFC 9485) to RE2: only `.` outside a class reads differently. */
export function iRegexpToRe2(pattern: string): string {
  let escaped = false;
  let inClass = false;
  let out = '';
  for (const char of pattern) {
    if (escaped) escaped = false;
    else if (char === '\\') escaped = true;
    else if (char === '[') inClass = true;
    else if (char === ']') inClass = false;
    else if (char === '.' && !inClass) {
      out += '[^\\n\\r]';
      continue;
    }
    out += char;
  }
  return out;
}

const environment = new JSONPathEnvironment();
environment.functionRegister.set('match', new RegexFunction(true));
environment.functionRegister.set('search', new RegexFunction(false));

const compiled = new Map<string, JSONPathQuery>();

/** Parses an expression (once per run); throws JSONPathError when it is not RFC 9535 JSONPath. */
export function compileJsonPath(expression: string): JSONPathQuery {
  const known = compiled.get(expression);
  if (known !== undefined) return known;
  const query = environment.compile(expression);
  if (compiled.size >= 1024) compiled.clear();
  compiled.set(expression, query);
  return query;
}

/** Counts reads and stops the evaluation past its limits. */
class ReadBudget {
  private reads = 0;
  private readonly limits: JsonPathLimits;
  private readonly maxReads: number;

  constructor(limits: JsonPathLimits) {
    this.limits = limits;
    this.maxReads = limits.maxReads ?? MAX_JSONPATH_READS;
  }

  spend(): void {
    this.reads += 1;
    if (this.reads > this.maxReads) {
      throw new JsonPathLimitError(`evaluation stopped after reading ${this.maxReads} values`);
    }
    const { deadline, now } = this.limits;
    if (deadline !== undefined && this.reads % DEADLINE_STRIDE === 0 && (now ?? Date.now)() > deadline) {
      throw new JsonPathLimitError('evaluation stopped at the overall timeout');
    }
  }
}

/** A read-only view of a parsed document whose every read is paid for. */
class MeteredDocument {
  private readonly budget: ReadBudget;
  private readonly views = new WeakMap<object, object>();
  private readonly targets = new WeakMap<object, object>();

  constructor(budget: ReadBudget) {
    this.budget = budget;
  }

  view(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    const known = this.views.get(value);
    if (known !== undefined) return known;
    const view = new Proxy(value, {
      get: (target, key) => {
        this.budget.spend();
        return this.view(Reflect.get(target, key));
      },
      ownKeys: (target) => {
        this.budget.spend();
        return Reflect.ownKeys(target);
      },
    });
    this.views.set(value, view);
    this.targets.set(view, value);
    return view;
  }

  /** The plain value behind a view. */
  unwrap(value: unknown): unknown {
    return typeof value === 'object' && value !== null ? (this.targets.get(value) ?? value) : value;
  }
}

/** The first node an expression selects, if any; throws JsonPathLimitError past the limits. */
export function selectFirst(
  document: unknown,
  query: JSONPathQuery,
  limits: JsonPathLimits = {},
): { found: false } | { found: true; value: unknown } {
  const metered = new MeteredDocument(new ReadBudget(limits));
  try {
    const first = query.lazyQuery(metered.view(document) as JSONValue).next();
    return first.done === true ? { found: false } : { found: true, value: metered.unwrap(first.value.value) };
  } catch (error) {
    if (error instanceof JSONPathError) {
      throw new JsonPathLimitError(`evaluation stopped: ${error.message.replace(/\s*\('.*':\d+\)$/s, '')}`);
    }
    if (error instanceof RangeError) throw new JsonPathLimitError('evaluation stopped: the document nests too deeply');
    throw error;
  }
}
