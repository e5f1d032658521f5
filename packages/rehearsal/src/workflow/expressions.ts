// Workflow expressions evaluated by GitHub's own evaluator (@actions/expressions), with the status
// functions (success, failure, always, cancelled) a job or a step answers for itself.
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { TokenType } from '@actions/expressions/lexer';
import { truthy } from '@actions/expressions/result';
import { errorMessage } from '@shiprail/core';

/** A JSON-like value, as contexts hold and expressions return. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export type Contexts = Record<string, Value>;

/** What the status functions answer where the expression is evaluated. */
export interface StatusFunctions {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

const STATUS_FUNCTION_NAMES = ['success', 'failure', 'always', 'cancelled'];

/** The context names a workflow may use (the parser refuses any other). */
const CONTEXT_NAMES = [
  'github',
  'env',
  'vars',
  'job',
  'jobs',
  'steps',
  'runner',
  'secrets',
  'strategy',
  'matrix',
  'needs',
  'inputs',
];

export class ExpressionFailure extends Error {}

export function toData(value: Value): data.ExpressionData {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

export function fromData(result: data.ExpressionData): Value {
  return JSON.parse(JSON.stringify(result, data.replacer) ?? 'null') as Value;
}

function parse(expression: string): ReturnType<Parser['parse']> {
  const { tokens } = new Lexer(expression).lex();
  const statusFunctions = STATUS_FUNCTION_NAMES.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));
  return new Parser(tokens, CONTEXT_NAMES, statusFunctions).parse();
}

/** Whether the condition calls a status function itself (otherwise GitHub prefixes `success() &&`). */
export function hasStatusFunction(expression: string): boolean {
  const { tokens } = new Lexer(expression).lex();
  return tokens.some(
    (token, index) =>
      token.type === TokenType.IDENTIFIER &&
      STATUS_FUNCTION_NAMES.includes(token.lexeme.toLowerCase()) &&
      tokens[index + 1]?.type === TokenType.LEFT_PAREN,
  );
}

/** An `if:` condition as GitHub runs it. */
export const ifCondition = (expression: string): string =>
  hasStatusFunction(expression) ? expression : `success() && (${expression})`;

function statusFunctionMap(
  status: StatusFunctions | undefined,
): Map<string, { name: string; minArgs: number; maxArgs: number; call: () => data.ExpressionData }> {
  const answers: Record<string, boolean> = {
    success: status?.success ?? true,
    failure: status?.failure ?? false,
    always: true,
    cancelled: status?.cancelled ?? false,
  };
  return new Map(
    Object.entries(answers).map(([name, answer]) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(answer) },
    ]),
  );
}

/** Evaluates one expression (without `${{ }}`) against the contexts. */
export function evaluateExpression(expression: string, contexts: Contexts, status?: StatusFunctions): Value {
  try {
    const tree = parse(expression);
    const dictionary = toData(contexts) as data.Dictionary;
    return fromData(new Evaluator(tree, dictionary, statusFunctionMap(status)).evaluate());
  } catch (error) {
    throw new ExpressionFailure(`${expression}: ${errorMessage(error)}`);
  }
}

/** Evaluates a condition to true or false with GitHub's truthiness. */
export function evaluateCondition(expression: string, contexts: Contexts, status?: StatusFunctions): boolean {
  try {
    const tree = parse(ifCondition(expression));
    const dictionary = toData(contexts) as data.Dictionary;
    return truthy(new Evaluator(tree, dictionary, statusFunctionMap(status)).evaluate());
  } catch (error) {
    throw new ExpressionFailure(`${expression}: ${errorMessage(error)}`);
  }
}

/** The string form a value takes in `${{ }}` inside a string, an input or an env value. */
export function valueText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return JSON.stringify(value, null, 2);
}
