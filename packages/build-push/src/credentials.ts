import { isDockerHub } from '@shiprail/core/image-reference';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryCredentials } from './registry.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The auth files a earlier login step leaves: containers' auth.json, then Docker's config.json. */
function authFiles(env: Env): string[] {
  const files: string[] = [];
  if (env['REGISTRY_AUTH_FILE']) files.push(env['REGISTRY_AUTH_FILE']);
  if (env['XDG_RUNTIME_DIR']) files.push(join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  const dockerConfig = env['DOCKER_CONFIG'] ?? (env['HOME'] ? join(env['HOME'], '.docker') : undefined);
  if (dockerConfig) files.push(join(dockerConfig, 'config.json'));
  return files;
}

function keysFor(registry: string): string[] {
  if (isDockerHub(registry)) {
    return ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'];
  }
  return [registry, `https://${registry}`, `http://${registry}`];
}

/**
 * Credentials an earlier login step (docker/login-action, `docker login`, `buildah login`) stored
 * for the registry, so that the registry API works without repeating them as inputs. Credential
 * helpers are not consulted.
 */
export function storedCredentials(registry: string, env: Env): RegistryCredentials | undefined {
  for (const file of authFiles(env)) {
    let auths: Record<string, { auth?: unknown }>;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: unknown }> };
      auths = parsed.auths ?? {};
    } catch {
      // No such file, or not one we can read: the next candidate may have it.
      continue;
    }
    for (const key of keysFor(registry)) {
      const auth = auths[key]?.auth;
      if (typeof auth !== 'string' || auth === '') continue;
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}
