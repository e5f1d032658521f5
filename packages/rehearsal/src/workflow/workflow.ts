// A workflow file parsed by GitHub's own parser (@actions/workflow-parser) into the parts the rehearsal
// runner executes. Every key it does not run is refused with the file and line, never skipped.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { basename } from 'node:path';
import type { MappingToken, TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { ConfigurationError } from '@shiprail/core';
import { valueText, type Value } from './expressions.ts';
import { readPermissions, type PermissionsSpec } from './permissions.ts';
import { shellRefusal } from './steps.ts';

export interface StepDefinition {
  /** The step's `id`, or `__<index>` as the runner names steps without one. */
  id: string;
  hasId: boolean;
  line: number;
  name?: TemplateToken;
  if: string;
  uses?: string;
  run?: TemplateToken;
  with?: MappingToken;
  env?: MappingToken;
  continueOnError?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  workingDirectory?: TemplateToken;
  /** The step's `shell`, or '' for the runner's default. */
  shell: string;
}

/** `defaults.run` of a workflow or a job: what `run:` steps use when they say nothing. */
export interface RunDefaults {
  shell?: string;
  workingDirectory?: string;
}

export interface JobDefinition {
  id: string;
  line: number;
  name?: TemplateToken;
  needs: string[];
  if: string;
  strategy?: TemplateToken;
  outputs?: MappingToken;
  env?: MappingToken;
  environment?: TemplateToken;
  concurrency?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  continueOnError?: TemplateToken;
  defaults: RunDefaults;
  /** The job's `permissions`, when it sets them. */
  permissions?: PermissionsSpec;
  steps: StepDefinition[];
  /** A job that calls a reusable workflow (`uses:`) instead of running steps. */
  call?: WorkflowCall;
}

/** What a job calling a reusable workflow passes it. */
export interface WorkflowCall {
  uses: string;
  /** The line of `uses:`, which GitHub's errors about the call name. */
  line: number;
  with?: MappingToken;
  /** `inherit`, or the secrets passed by name. */
  secrets: 'inherit' | MappingToken | undefined;
}

export interface CallInput {
  type: string;
  required: boolean;
  default: Value;
}

export interface WorkflowDefinition {
  file: string;
  name: string;
  /** Event names the workflow is triggered by. */
  events: string[];
  callInputs: Record<string, CallInput>;
  callSecrets: Record<string, { required: boolean }>;
  callOutputs: Record<string, TemplateToken>;
  env?: MappingToken;
  concurrency?: TemplateToken;
  defaults: RunDefaults;
  permissions?: PermissionsSpec;
  jobs: JobDefinition[];
}

const WORKFLOW_KEYS = ['name', 'run-name', 'on', 'permissions', 'env', 'defaults', 'concurrency', 'jobs'];
const JOB_KEYS = [
  'name',
  'needs',
  'if',
  'runs-on',
  'timeout-minutes',
  'permissions',
  'outputs',
  'steps',
  'strategy',
  'environment',
  'concurrency',
  'env',
  'defaults',
  'continue-on-error',
];
/** The keys of a job that calls a reusable workflow, as GitHub allows them. */
const CALL_JOB_KEYS = ['name', 'needs', 'if', 'permissions', 'strategy', 'concurrency', 'uses', 'with', 'secrets'];
const STEP_KEYS = [
  'id',
  'name',
  'if',
  'uses',
  'run',
  'with',
  'env',
  'continue-on-error',
  'timeout-minutes',
  'shell',
  'working-directory',
];
const STRATEGY_KEYS = ['matrix', 'fail-fast', 'max-parallel'];

type ParserModule = typeof import('@actions/workflow-parser') & {
  parseFile: (name: string, content: string) => Parsed;
};
type Parsed = ReturnType<typeof import('@actions/workflow-parser').parseWorkflow>;
let parserModule: ParserModule | undefined;

/**
 * GitHub's parser imports its JSON schema without an import attribute; plain Node needs one. The
 * modules are loaded once, after a resolve hook supplies the attribute.
 */
async function workflowParser(): Promise<ParserModule> {
  if (parserModule) return parserModule;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      return resolved.url.endsWith('.json') && resolved.url.includes('/@actions/workflow-parser/')
        ? { ...resolved, importAttributes: { type: 'json' } }
        : resolved;
    },
  });
  // One module after another: jest's module linker refuses interlinked modules loaded side by side.
  const api = await import('@actions/workflow-parser');
  parserModule = { ...api, parseFile: await valueParser() };
  return parserModule;
}

/**
 * parseWorkflow, except that `${{ }}` in a multi-line scalar is read from its YAML value, as GitHub's runs
 * read it. The library reads such a scalar from its source text for an editor's positions: a `|` block
 * would keep its indentation and its last newline under `|-`, a `>` block would not fold.
 */
async function valueParser(): Promise<(name: string, content: string) => Parsed> {
  const { TemplateContext, TemplateValidationErrors } =
    await import('@actions/workflow-parser/templates/template-context');
  const { readTemplate } = await import('@actions/workflow-parser/templates/template-reader');
  const { NoOperationTraceWriter } = await import('@actions/workflow-parser/templates/trace-writer');
  const { getWorkflowSchema } = await import('@actions/workflow-parser/workflows/workflow-schema');
  const { WORKFLOW_ROOT } = await import('@actions/workflow-parser/workflows/workflow-constants');
  const { YamlObjectReader } = await import('@actions/workflow-parser/workflows/yaml-object-reader');
  const { StringToken } = await import('@actions/workflow-parser/templates/tokens/index');
  class ValueReader extends YamlObjectReader {
    override allowLiteral(): ReturnType<typeof YamlObjectReader.prototype.allowLiteral> {
      const token = super.allowLiteral();
      if (!(token instanceof StringToken) || token.range?.start.line === token.range?.end.line) return token;
      const { file, range, value, definitionInfo, blockScalarHeader } = token;
      return new StringToken(file, range, value, definitionInfo, undefined, blockScalarHeader);
    }
  }
  return (name, content) => {
    const context = new TemplateContext(
      new TemplateValidationErrors(),
      getWorkflowSchema(),
      new NoOperationTraceWriter(),
    );
    const fileId = context.getFileId(name);
    const reader = new ValueReader(fileId, content);
    for (const error of reader.errors) context.error(fileId, error.message, error.range);
    const value = reader.errors.length > 0 ? undefined : readTemplate(context, WORKFLOW_ROOT, reader, fileId);
    return { context, value };
  };
}

class Reader {
  readonly file: string;
  readonly parser: ParserModule;

  constructor(file: string, parser: ParserModule) {
    this.file = file;
    this.parser = parser;
  }

  error(message: string, token: TemplateToken | undefined): ConfigurationError {
    return new ConfigurationError(message, { file: this.file, line: token?.line ?? 1 });
  }

  mapping(token: TemplateToken | undefined, what: string): MappingToken {
    if (token === undefined || !this.parser.isMapping(token)) throw this.error(`${what} must be a mapping`, token);
    return token;
  }

  entries(token: MappingToken): Array<[string, TemplateToken, TemplateToken]> {
    return [...token].map((pair) => [pair.key.toString(), pair.value, pair.key]);
  }

  /** Refuses every key the runner does not execute, naming it and its line. */
  onlyKeys(token: MappingToken, allowed: readonly string[], where: string): Record<string, TemplateToken> {
    const found: Record<string, TemplateToken> = {};
    for (const [key, value, keyToken] of this.entries(token)) {
      if (!allowed.includes(key)) {
        throw this.error(`${where}: '${key}' is not supported by the rehearsal runner`, keyToken);
      }
      found[key] = value;
    }
    return found;
  }

  literal(token: TemplateToken | undefined, what: string): string {
    if (token === undefined) return '';
    if (!this.parser.isLiteral(token)) throw this.error(`${what} must be a literal value`, token);
    return token.toString();
  }

  /** An `if:` as written: a bare condition, or one wrapped in `${{ }}`. */
  condition(token: TemplateToken | undefined): string {
    if (token === undefined) return 'success()';
    if (this.parser.isBasicExpression(token)) return token.expression;
    if (this.parser.isLiteral(token)) return token.toString();
    throw this.error('if must be a condition', token);
  }

  plain(token: TemplateToken | undefined): Value {
    if (token === undefined) return null;
    if (this.parser.isMapping(token)) {
      return Object.fromEntries(this.entries(token).map(([key, value]) => [key, this.plain(value)]));
    }
    if (this.parser.isSequence(token)) return [...token].map((item) => this.plain(item));
    if (this.parser.isBoolean(token)) return token.value;
    if (this.parser.isNumber(token)) return token.value;
    if (this.parser.isString(token)) return token.value;
    if (this.parser.isLiteral(token)) return null;
    throw this.error('an expression is not allowed here', token);
  }
}

function readShell(reader: Reader, token: TemplateToken | undefined): string {
  const shell = reader.literal(token, 'shell');
  const refusal = shell === '' ? undefined : shellRefusal(shell);
  if (refusal !== undefined) throw reader.error(refusal, token);
  return shell;
}

/** `defaults:` of a workflow or a job: only `run.shell` and `run.working-directory` exist. */
function readDefaults(reader: Reader, token: TemplateToken | undefined, where: string): RunDefaults {
  if (token === undefined) return {};
  const keys = reader.onlyKeys(reader.mapping(token, `${where} defaults`), ['run'], `${where} defaults`);
  if (keys['run'] === undefined) return {};
  const run = reader.onlyKeys(
    reader.mapping(keys['run'], 'defaults.run'),
    ['shell', 'working-directory'],
    'defaults.run',
  );
  const defaults: RunDefaults = {};
  if (run['shell'] !== undefined) defaults.shell = readShell(reader, run['shell']);
  if (run['working-directory'] !== undefined) {
    defaults.workingDirectory = reader.literal(run['working-directory'], 'working-directory');
  }
  return defaults;
}

function readPermissionsAt(reader: Reader, token: TemplateToken | undefined): PermissionsSpec | undefined {
  if (token === undefined) return undefined;
  try {
    return readPermissions(reader.plain(token));
  } catch (error) {
    throw reader.error(error instanceof Error ? error.message : String(error), token);
  }
}

function readStep(reader: Reader, token: TemplateToken, index: number, jobId: string): StepDefinition {
  const keys = reader.onlyKeys(reader.mapping(token, 'a step'), STEP_KEYS, `job '${jobId}' step ${index + 1}`);
  const shell = readShell(reader, keys['shell']);
  if ((keys['uses'] === undefined) === (keys['run'] === undefined)) {
    throw reader.error('a step needs exactly one of uses and run', token);
  }
  const id = reader.literal(keys['id'], 'id');
  return {
    id: id === '' ? `__${index}` : id,
    hasId: id !== '',
    line: token.line ?? 1,
    name: keys['name'],
    if: reader.condition(keys['if']),
    uses: keys['uses'] === undefined ? undefined : reader.literal(keys['uses'], 'uses'),
    run: keys['run'],
    with: keys['with'] === undefined ? undefined : reader.mapping(keys['with'], 'with'),
    env: keys['env'] === undefined ? undefined : reader.mapping(keys['env'], 'env'),
    continueOnError: keys['continue-on-error'],
    timeoutMinutes: keys['timeout-minutes'],
    workingDirectory: keys['working-directory'],
    shell,
  };
}

function readNeeds(reader: Reader, token: TemplateToken | undefined): string[] {
  if (token === undefined) return [];
  if (reader.parser.isSequence(token)) return [...token].map((item) => reader.literal(item, 'needs'));
  return [reader.literal(token, 'needs')];
}

function readCallSecrets(reader: Reader, token: TemplateToken | undefined): WorkflowCall['secrets'] {
  if (token === undefined) return undefined;
  if (reader.parser.isLiteral(token) && token.toString() === 'inherit') return 'inherit';
  return reader.mapping(token, 'secrets');
}

function readJob(reader: Reader, id: string, token: TemplateToken): JobDefinition {
  const job = reader.mapping(token, `job '${id}'`);
  const calls = job.find('uses') !== undefined;
  const keys = reader.onlyKeys(job, calls ? CALL_JOB_KEYS : JOB_KEYS, `job '${id}'`);
  if (keys['strategy'] !== undefined && reader.parser.isMapping(keys['strategy'])) {
    reader.onlyKeys(keys['strategy'], STRATEGY_KEYS, `job '${id}' strategy`);
  }
  const steps = keys['steps'];
  if (!calls && (steps === undefined || !reader.parser.isSequence(steps))) {
    throw reader.error(`job '${id}' has no steps`, job);
  }
  return {
    id,
    line: token.line ?? 1,
    name: keys['name'],
    needs: readNeeds(reader, keys['needs']),
    if: reader.condition(keys['if']),
    strategy: keys['strategy'],
    outputs: keys['outputs'] === undefined ? undefined : reader.mapping(keys['outputs'], 'outputs'),
    env: keys['env'] === undefined ? undefined : reader.mapping(keys['env'], 'env'),
    environment: keys['environment'],
    concurrency: keys['concurrency'],
    timeoutMinutes: keys['timeout-minutes'],
    continueOnError: keys['continue-on-error'],
    defaults: readDefaults(reader, keys['defaults'], `job '${id}'`),
    permissions: readPermissionsAt(reader, keys['permissions']),
    steps:
      steps !== undefined && reader.parser.isSequence(steps)
        ? [...steps].map((step, index) => readStep(reader, step, index, id))
        : [],
    call: calls
      ? {
          uses: reader.literal(keys['uses'], 'uses'),
          line: keys['uses']?.line ?? token.line ?? 1,
          with: keys['with'] === undefined ? undefined : reader.mapping(keys['with'], 'with'),
          secrets: readCallSecrets(reader, keys['secrets']),
        }
      : undefined,
  };
}

function readCall(
  reader: Reader,
  on: TemplateToken | undefined,
): Pick<WorkflowDefinition, 'events' | 'callInputs' | 'callSecrets' | 'callOutputs'> {
  const result: Pick<WorkflowDefinition, 'events' | 'callInputs' | 'callSecrets' | 'callOutputs'> = {
    events: [],
    callInputs: {},
    callSecrets: {},
    callOutputs: {},
  };
  if (on === undefined) throw reader.error("the workflow has no 'on'", on);
  if (reader.parser.isLiteral(on)) return { ...result, events: [on.toString()] };
  if (reader.parser.isSequence(on)) return { ...result, events: [...on].map((item) => reader.literal(item, 'on')) };
  for (const [event, value] of reader.entries(reader.mapping(on, 'on'))) {
    result.events.push(event);
    if (event !== 'workflow_call' || !reader.parser.isMapping(value)) continue;
    const call = reader.onlyKeys(value, ['inputs', 'secrets', 'outputs'], 'workflow_call');
    const inputs = call['inputs'] === undefined ? [] : reader.entries(reader.mapping(call['inputs'], 'inputs'));
    for (const [name, spec] of inputs) {
      const fields = reader.plain(spec) as Record<string, Value>;
      result.callInputs[name] = {
        type: typeof fields['type'] === 'string' ? fields['type'] : 'string',
        required: fields['required'] === true,
        default: fields['default'] ?? null,
      };
    }
    const secrets = call['secrets'] === undefined ? [] : reader.entries(reader.mapping(call['secrets'], 'secrets'));
    for (const [name, spec] of secrets) {
      result.callSecrets[name] = { required: (reader.plain(spec) as Record<string, Value>)['required'] === true };
    }
    const outputs = call['outputs'] === undefined ? [] : reader.entries(reader.mapping(call['outputs'], 'outputs'));
    for (const [name, spec] of outputs) {
      const value = reader.mapping(spec, `output '${name}'`).find('value');
      if (value !== undefined) result.callOutputs[name] = value;
    }
  }
  return result;
}

/** Parses and checks a workflow file; every mistake and every unsupported key names file and line. */
export async function loadWorkflow(path: string): Promise<WorkflowDefinition> {
  const parser = await workflowParser();
  const file = basename(path);
  const parsed = parser.parseFile(file, readFileSync(path, 'utf8'));
  const [first] = parsed.context.errors.getErrors();
  if (first !== undefined) throw new ConfigurationError(first.message, { file });
  const reader = new Reader(file, parser);
  const root = reader.onlyKeys(reader.mapping(parsed.value, 'the workflow'), WORKFLOW_KEYS, 'the workflow');
  const jobs = reader.entries(reader.mapping(root['jobs'], 'jobs')).map(([id, token]) => readJob(reader, id, token));
  return {
    file,
    name: reader.literal(root['name'], 'name') || file,
    ...readCall(reader, root['on']),
    env: root['env'] === undefined ? undefined : reader.mapping(root['env'], 'env'),
    concurrency: root['concurrency'],
    defaults: readDefaults(reader, root['defaults'], 'the workflow'),
    permissions: readPermissionsAt(reader, root['permissions']),
    jobs,
  };
}

/** Turns a token into its value, evaluating every `${{ }}` with `evaluate`. */
export async function tokenEvaluator(): Promise<
  (token: TemplateToken | undefined, evaluate: (expression: string) => Value) => Value
> {
  const parser = await workflowParser();
  const walk = (token: TemplateToken | undefined, evaluate: (expression: string) => Value): Value => {
    if (token === undefined) return null;
    if (parser.isBasicExpression(token)) return evaluate(token.expression);
    if (parser.isMapping(token)) {
      return Object.fromEntries(
        [...token].map((pair) => [valueText(walk(pair.key, evaluate)), walk(pair.value, evaluate)]),
      );
    }
    if (parser.isSequence(token)) return [...token].map((item) => walk(item, evaluate));
    if (parser.isBoolean(token)) return token.value;
    if (parser.isNumber(token)) return token.value;
    if (parser.isString(token)) return token.value;
    return null;
  };
  return walk;
}
