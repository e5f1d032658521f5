// build-push's inputs, read once into a typed object, the password masked first.
import type { InputParser } from '@shiprail/core';
import type { BuilderName, CacheMode } from './builders.ts';

/** The default `tags` rules (also action.yml's default). */
export const DEFAULT_TAG_RULES = 'type=sha\ntype=ref,event=branch\ntype=ref,event=pr\ntype=semver,pattern={{version}}';

export interface BuildPushInputs {
  'registry-password': string;
  'registry-username': string;
  image: string;
  context: string;
  dockerfile: string;
  tags: string[];
  flavor: string[];
  labels: string[];
  'build-args': string[];
  target: string;
  platforms: string[];
  push: boolean;
  builder: 'auto' | BuilderName;
  cache: CacheMode;
  'reuse-existing': boolean;
  'dry-run': boolean;
  'oci-layout': string;
}

/** Reads every input once, the password first so that it is masked before anything else runs. */
export function parseInputs(parser: InputParser): BuildPushInputs {
  const password = parser.secret('registry-password');
  return {
    'registry-password': password,
    'registry-username': parser.string('registry-username'),
    image: parser.required('image'),
    context: parser.string('context', '.'),
    dockerfile: parser.string('dockerfile'),
    tags: parser.list('tags', DEFAULT_TAG_RULES),
    flavor: parser.list('flavor'),
    labels: parser.list('labels'),
    'build-args': parser.list('build-args'),
    target: parser.string('target'),
    platforms: parser
      .list('platforms')
      .flatMap((line) => line.split(','))
      .map((platform) => platform.trim())
      .filter((platform) => platform !== ''),
    push: parser.boolean('push', true),
    builder: parser.choice('builder', ['auto', 'buildx', 'buildah'] as const, 'auto'),
    cache: parser.choice('cache', ['auto', 'registry', 'none'] as const, 'auto'),
    'reuse-existing': parser.boolean('reuse-existing', true),
    'dry-run': parser.boolean('dry-run', false),
    'oci-layout': parser.string('oci-layout'),
  };
}
