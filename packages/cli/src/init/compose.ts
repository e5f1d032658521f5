// Services from compose files (compose.yaml, docker-compose*.yml): each service with a `build:`, its
// context and Dockerfile, after variables are substituted from `.env` and the environment.
import { posix } from 'node:path';
import { ConfigurationError, parseYamlDocuments, type YamlPath } from '@shiprail/core';
import { parseDotEnv, substitute, type Variables } from './compose-variables.ts';
import { at, folderOf, joinPath, resolveInside, sourced, type RepositoryFiles } from './repository.ts';
import { buildReads, imageName, type FoundService } from './service.ts';

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const COMPOSE_FILE = /(^|\/)(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$/;

export interface ComposeResult {
  services: FoundService[];
  files: string[];
}

/** The substituted value of every string in a compose document, with errors at the string's line. */
function substituteAll(
  value: unknown,
  path: YamlPath,
  variables: Variables,
  file: string,
  lineOf: (path: YamlPath) => number | undefined,
): unknown {
  if (typeof value === 'string') {
    return value.includes('$') ? substitute(value, variables, { file, line: lineOf(path) }) : value;
  }
  if (Array.isArray(value))
    return value.map((item, index) => substituteAll(item, [...path, index], variables, file, lineOf));
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteAll(item, [...path, key], variables, file, lineOf)]),
    );
  }
  return value;
}

export async function composeServices(files: RepositoryFiles, environment: Variables): Promise<ComposeResult> {
  const composeFiles = files.files.filter((file) => COMPOSE_FILE.test(file));
  const services = new Map<string, FoundService>();
  for (const file of composeFiles) {
    for (const service of await fileServices(files, file, environment)) {
      if (!services.has(service.name)) services.set(service.name, service);
    }
  }
  return { services: [...services.values()], files: composeFiles };
}

async function fileServices(files: RepositoryFiles, file: string, environment: Variables): Promise<FoundService[]> {
  const folder = folderOf(file);
  const dotEnvFile = joinPath(folder, '.env');
  const dotEnv = files.read(dotEnvFile);
  // The environment wins over .env, as in docker compose.
  const variables: Variables = new Map([
    ...(dotEnv === undefined ? [] : parseDotEnv(dotEnv, dotEnvFile, environment)),
    ...environment,
  ]);
  const [document] = await parseYamlDocuments(files.read(file) ?? '', { file });
  if (document === undefined || !isMapping(document.value)) return [];
  const value = substituteAll(document.value, [], variables, file, (path) => document.lineOf(path)) as Mapping;
  const project =
    (typeof value['name'] === 'string' ? value['name'] : posix.basename(folder === '.' ? '' : folder)) || 'app';
  const declared = value['services'];
  if (!isMapping(declared)) return [];
  const found: FoundService[] = [];
  for (const [name, body] of Object.entries(declared)) {
    if (!isMapping(body) || body['build'] === undefined) continue;
    const where = (path: YamlPath): string => at(file, document.lineOf(['services', name, ...path]));
    const lineOf = (path: YamlPath): number | undefined => document.lineOf(['services', name, ...path]);
    const build = body['build'];
    const contextWritten =
      typeof build === 'string'
        ? build
        : isMapping(build) && typeof build['context'] === 'string'
          ? build['context']
          : '.';
    if (/^[a-z]+:\/\//i.test(contextWritten) || contextWritten.startsWith('git@')) continue; // a remote context
    const contextPath: YamlPath = typeof build === 'string' ? ['build'] : ['build', 'context'];
    const context = sourced(
      resolveInside(folder, contextWritten, { file, line: lineOf(contextPath) }),
      where(isMapping(build) && build['context'] === undefined ? ['build'] : contextPath),
    );
    if (isMapping(build) && typeof build['dockerfile_inline'] === 'string') {
      throw new ConfigurationError(
        `service '${name}' builds from dockerfile_inline: move it into a Dockerfile the pipeline can build`,
        { file, line: lineOf(['build', 'dockerfile_inline']) },
      );
    }
    const dockerfileWritten =
      isMapping(build) && typeof build['dockerfile'] === 'string' ? build['dockerfile'] : undefined;
    const dockerfilePath: YamlPath = dockerfileWritten === undefined ? ['build'] : ['build', 'dockerfile'];
    const dockerfile = sourced(
      resolveInside(context.value, dockerfileWritten ?? 'Dockerfile', { file, line: lineOf(dockerfilePath) }),
      where(dockerfilePath),
    );
    const imageWritten = typeof body['image'] === 'string' ? body['image'] : undefined;
    const image = sourced(
      imageWritten === undefined ? `${project}-${name}` : imageName(imageWritten),
      where(imageWritten === undefined ? [] : ['image']),
    );
    const { path, reads } = buildReads(files, context, dockerfile);
    found.push({
      name: name.replace(/[^A-Za-z0-9._-]+/g, '-'),
      image,
      builder: sourced('docker', where(['build'])),
      path,
      context,
      dockerfile,
      reads,
      requiresImages: [],
    });
  }
  return found;
}
