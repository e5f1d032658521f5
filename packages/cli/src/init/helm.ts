// A Helm template read statically, without Helm: values substituted from values.yaml, control actions
// (if, range, with, end) dropped, `toYaml .Values.x | nindent n` written out. Enough to see which images
// a chart's workloads run and their probes; what it cannot evaluate becomes a neutral word.

export interface RenderedTemplate {
  text: string;
  /** For each rendered line (0-based), the template's line (1-based). */
  lineMap: number[];
}

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const CONTROL = /^(?:(?:if|else|end|range|with|define|block|fail)\b|\/\*|\$\w+\s*:?=)/;

function lookup(values: unknown, path: string): unknown {
  let current = values;
  for (const key of path.split('.').filter(Boolean)) current = isMapping(current) ? current[key] : undefined;
  return current;
}

/** YAML for a value, indented `indent` spaces: what `toYaml x | nindent n` writes. */
function toYaml(value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (isMapping(value)) {
    return Object.entries(value).flatMap(([key, item]) =>
      isMapping(item) || Array.isArray(item)
        ? [`${pad}${key}:`, ...toYaml(item, indent + 2)]
        : [`${pad}${key}: ${JSON.stringify(item)}`],
    );
  }
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const lines = toYaml(item, indent + 2);
      const first = lines[0]?.trimStart() ?? '';
      return isMapping(item) || Array.isArray(item)
        ? [`${pad}- ${first}`, ...lines.slice(1)]
        : [`${pad}- ${JSON.stringify(item)}`];
    });
  }
  return [`${pad}${JSON.stringify(value)}`];
}

/** The value of one template expression: `.Values.a.b | default "x"`, `.Chart.Name`, `include "..." .`. */
function evaluate(expression: string, values: unknown, chartName: string): string {
  const [head = '', ...pipes] = expression.split('|').map((part) => part.trim());
  let value: unknown;
  const valuesPath = /^\.Values\.([\w.]+)$/.exec(head)?.[1];
  if (valuesPath !== undefined) value = lookup(values, valuesPath);
  else if (/^\.(Chart\.Name|Release\.Name)$/.test(head) || /^(include|template)\s+"[^"]*(fullname|name)"/.test(head))
    value = chartName;
  else if (/^"[^"]*"$/.test(head)) value = head.slice(1, -1);
  for (const pipe of pipes) {
    const fallback = /^default\s+(.+)$/.exec(pipe)?.[1];
    if (fallback !== undefined && (value === undefined || value === '' || value === null))
      value = evaluate(fallback, values, chartName);
  }
  if (value === undefined || value === null || isMapping(value) || Array.isArray(value)) return 'unresolved';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function renderHelmTemplate(template: string, values: unknown, chartName: string): RenderedTemplate {
  const lines: string[] = [];
  const lineMap: number[] = [];
  template.split(/\r?\n/).forEach((line, index) => {
    const actions = [...line.matchAll(ACTION)];
    const rest = line.replace(ACTION, '').trim();
    const toYamlAction = actions
      .map((match) => /^toYaml\s+\.Values\.([\w.]+)\s*\|\s*nindent\s+(\d+)$/.exec(match[1] ?? ''))
      .find((match) => match !== null);
    if (toYamlAction !== undefined && toYamlAction !== null) {
      const prefix = line.slice(0, line.indexOf('{{'));
      if (prefix.trim() !== '') {
        lines.push(prefix.trimEnd());
        lineMap.push(index + 1);
      }
      const value = lookup(values, toYamlAction[1] ?? '');
      if (value !== undefined && value !== null) {
        for (const rendered of toYaml(value, Number(toYamlAction[2]))) {
          lines.push(rendered);
          lineMap.push(index + 1);
        }
      }
      return;
    }
    if (actions.length > 0 && rest === '') {
      // A line of actions only: control flow, includes of labels, comments. It writes nothing init needs.
      const writes = actions.some(
        (match) => !CONTROL.test(match[1] ?? '') && !/^(include|toYaml)/.test(match[1] ?? ''),
      );
      if (!writes) return;
    }
    lines.push(
      line.replace(ACTION, (_match, expression: string) =>
        CONTROL.test(expression) ? '' : evaluate(expression, values, chartName),
      ),
    );
    lineMap.push(index + 1);
  });
  return { text: lines.join('\n'), lineMap };
}
