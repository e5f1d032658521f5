// What a container runs, decided as the kubelet decides it: the image's ENTRYPOINT and CMD replaced by the
// container's command and args, the container's env on top of the image's, `$(VAR)` references expanded
// with Kubernetes' own rules. Pure: the tables in the tests are the specification.
import type { ContainerSpec, PodFieldPath } from './pod-template.ts';

/** The part of an OCI image configuration a container starts from. */
export interface ImageProcess {
  entrypoint: string[];
  cmd: string[];
  /** `NAME=value` entries. */
  env: string[];
  workingDir: string;
}

export interface ContainerProcess {
  argv: string[];
  /** The container's own variables, expanded, in order: they override the image's of the same name. */
  env: Array<{ name: string; value: string }>;
  /** The container's workingDir, else the image's; empty for the root. */
  workingDir: string;
}

/**
 * Kubernetes' expansion of `$(NAME)`: a defined name is replaced, an undefined one is left as written,
 * `$$` is one `$`, and any other `$` stays.
 */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let output = '';
  let cursor = 0;
  while (cursor < input.length) {
    const char = input.charAt(cursor);
    if (char !== '$' || cursor + 1 >= input.length) {
      output += char;
      cursor += 1;
      continue;
    }
    const next = input.charAt(cursor + 1);
    if (next === '$') {
      output += '$';
      cursor += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        output += '$(';
        cursor += 2;
      } else {
        const name = input.slice(cursor + 2, close);
        output += lookup(name) ?? `$(${name})`;
        cursor = close + 1;
      }
    } else {
      output += `$${next}`;
      cursor += 2;
    }
  }
  return output;
}

/**
 * The process a container starts: argv from the image and the container, the container's env (each value
 * expanded with the variables defined before it), command and args expanded with all of them.
 */
export function containerProcess(
  image: ImageProcess,
  container: Pick<ContainerSpec, 'command' | 'args' | 'env' | 'workingDir'>,
  podFields: Record<PodFieldPath, string>,
): ContainerProcess {
  const defined = new Map<string, string>();
  const env = container.env.map((variable) => {
    const value =
      'fieldPath' in variable
        ? podFields[variable.fieldPath]
        : expandReferences(variable.value, (name) => defined.get(name));
    defined.set(variable.name, value);
    return { name: variable.name, value };
  });
  const expand = (text: string): string => expandReferences(text, (name) => defined.get(name));
  const entrypoint = container.command ?? image.entrypoint;
  const cmd = container.command !== undefined ? (container.args ?? []) : (container.args ?? image.cmd);
  return {
    argv: [...entrypoint, ...cmd].map(expand),
    env,
    workingDir: container.workingDir ?? image.workingDir,
  };
}

/** The image's `NAME=value` list with the container's variables over it: what the process sees. */
export function effectiveEnvironment(image: ImageProcess, process: ContainerProcess): Map<string, string> {
  const merged = new Map<string, string>();
  for (const entry of image.env) {
    const equals = entry.indexOf('=');
    if (equals > 0) merged.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  for (const { name, value } of process.env) merged.set(name, value);
  return merged;
}
