// The `image-targets` input: per image name, the container that runs it and the Helm values keys that hold
// it, as the services manifest declares them (deploy.yml passes them on from detect-changed-services).
import { ConfigurationError, escapeUntrusted, formatYamlPath, readImageTarget, type ImageTarget } from '@shiprail/core';
import { parse } from 'yaml';
import type { ImageEntry } from './image-args.ts';

export type ImageTargets = ReadonlyMap<string, ImageTarget>;

const INPUT = 'image-targets';

/** `{"ghcr.io/acme/frontend": {"container": "server", "helm-values": {...}}}`, as YAML or JSON; '' for none. */
export function parseImageTargets(text: string): ImageTargets {
  const targets = new Map<string, ImageTarget>();
  if (text.trim() === '') return targets;
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new ConfigurationError(`malformed YAML: ${escapeUntrusted(reason)}`, { input: INPUT });
  }
  if (value === null || value === undefined) return targets;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError('expected a mapping of image names to {container, helm-values}', { input: INPUT });
  }
  for (const [image, body] of Object.entries(value as Record<string, unknown>)) {
    const fields = body ?? {};
    if (typeof fields !== 'object' || Array.isArray(fields)) {
      throw new ConfigurationError(`${escapeUntrusted(image)}: expected a mapping with container, helm-values`, {
        input: INPUT,
      });
    }
    const record = fields as Record<string, unknown>;
    const unknown = Object.keys(record).find((key) => key !== 'container' && key !== 'helm-values');
    if (unknown !== undefined) {
      throw new ConfigurationError(
        `${escapeUntrusted(image)}: unknown key '${escapeUntrusted(unknown)}' (expected container, helm-values)`,
        { input: INPUT },
      );
    }
    const target = readImageTarget(record['container'], record['helm-values']);
    if ('problem' in target) {
      const at = formatYamlPath([image, ...target.at]);
      throw new ConfigurationError(`${escapeUntrusted(at)}: ${target.problem}`, { input: INPUT });
    }
    targets.set(image, target);
  }
  return targets;
}

/** The target of an `images` argument: by the name it is given under, or the new name it sets. */
export function targetOf(targets: ImageTargets, argument: ImageEntry): ImageTarget {
  return (
    targets.get(argument.name) ?? (argument.newName === undefined ? undefined : targets.get(argument.newName)) ?? {}
  );
}
