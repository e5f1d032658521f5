// A workflow's tokens (`if`, `env`, `with`, `name`, `strategy`…) turned into values, every `${{ }}` by
// GitHub's evaluator.
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { evaluateExpression, valueText, type Contexts, type StatusFunctions, type Value } from './expressions.ts';
import type { tokenEvaluator } from './workflow.ts';

type Walk = Awaited<ReturnType<typeof tokenEvaluator>>;

export class TokenValues {
  private readonly walk: Walk;

  constructor(walk: Walk) {
    this.walk = walk;
  }

  value(token: TemplateToken | undefined, contexts: Contexts, status?: StatusFunctions): Value {
    return this.walk(token, (expression) => evaluateExpression(expression, contexts, status));
  }

  text(token: TemplateToken | undefined, contexts: Contexts, fallback = ''): string {
    return token === undefined ? fallback : valueText(this.value(token, contexts));
  }

  /** A mapping (`env:`, `with:`, `outputs:`) as strings; none is an empty one. */
  strings(token: TemplateToken | undefined, contexts: Contexts): Record<string, string> {
    const value = this.value(token, contexts);
    if (value === null) return {};
    return Object.fromEntries(
      Object.entries(value as Record<string, Value>).map(([key, item]) => [key, valueText(item)]),
    );
  }
}
