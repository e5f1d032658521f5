// The kubeconfig: from the input (YAML or base64 of it) through a 0600 file that is removed afterwards,
// else KUBECONFIG, ~/.kube/config, then the in-cluster service account. Every credential in it is masked
// before anything can print it.
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError, parseYamlDocument, withPrivateFile, type Runtime } from '@shiprail/core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface LoadedKubeConfig {
  config: KubeConfig;
  /** Where it came from, for logs: `the kubeconfig input`, a path, or `the in-cluster service account`. */
  source: string;
  /** The namespace the context names, or undefined. */
  contextNamespace: string | undefined;
  server: string;
}

/** Base64 input is decoded; YAML (or JSON) is used as it is. */
export function decodeKubeconfig(text: string): string {
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && !trimmed.includes(':')) {
    const decoded = Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (/^\s*[{a-zA-Z"'-]/.test(decoded)) return decoded;
  }
  return text;
}

const SECRET_KEYS = new Set([
  'token',
  'client-key-data',
  'password',
  'id-token',
  'refresh-token',
  'access-token',
  'client-secret',
]);

/** Every credential value in a parsed kubeconfig: user tokens, client keys, passwords, auth-provider tokens. */
export function kubeconfigSecrets(document: unknown): string[] {
  const secrets: string[] = [];
  const visit = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key !== undefined && SECRET_KEYS.has(key) && value.length > 0) secrets.push(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key === 'env' ? 'env' : undefined);
      return;
    }
    if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      // exec credential plugins get secrets through env entries {name, value}.
      if (key === 'env' && typeof record['value'] === 'string' && record['value'].length > 0)
        secrets.push(record['value']);
      for (const [childKey, child] of Object.entries(record)) visit(child, childKey);
    }
  };
  const users = (document as { users?: unknown } | null)?.users;
  visit(users, undefined);
  return secrets;
}

function validateKubeconfigText(text: string, input: string | undefined, file: string | undefined): unknown {
  const where = input !== undefined ? { input } : { file };
  const { value } = parseYamlDocument(text, where);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(
      'is not a kubeconfig (YAML with clusters, users and contexts, or base64 of it)',
      where,
    );
  }
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record['clusters']) || record['clusters'].length === 0) {
    throw new ConfigurationError('is not a kubeconfig: it has no clusters', where);
  }
  return value;
}

function selectContext(config: KubeConfig, context: string, source: string): LoadedKubeConfig {
  if (context !== '') {
    if (config.getContextObject(context) === null) {
      const names = config.getContexts().map((candidate) => candidate.name);
      throw new ConfigurationError(
        `no context named '${context}' in ${source}${names.length > 0 ? ` (it has ${names.join(', ')})` : ''}`,
        { input: 'context' },
      );
    }
    config.setCurrentContext(context);
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null) {
    throw new ConfigurationError(
      `${source} has no current context with a cluster: set its current-context or the context input`,
      { input: context === '' ? 'kubeconfig' : 'context' },
    );
  }
  const namespace = config.getContextObject(config.getCurrentContext())?.namespace;
  return { config, source, contextNamespace: namespace || undefined, server: cluster.server };
}

/**
 * Runs `use` with the loaded kubeconfig. Input content goes through a 0600 temporary file, removed when
 * `use` settles, whatever happens.
 */
export async function withKubeConfig<T>(
  runtime: Runtime,
  input: { kubeconfig: string; context: string },
  use: (loaded: LoadedKubeConfig) => Promise<T>,
): Promise<T> {
  if (input.kubeconfig !== '') {
    const text = decodeKubeconfig(input.kubeconfig);
    const document = validateKubeconfigText(text, 'kubeconfig', undefined);
    for (const secret of kubeconfigSecrets(document)) runtime.mask(secret);
    return withPrivateFile(runtime.tempDir, 'kubeconfig', text, async (path) => {
      const config = new KubeConfig();
      try {
        config.loadFromFile(path);
      } catch (error) {
        // The library's message may quote the file: say only that it does not load.
        const reason = error instanceof Error && /^[\w ,.:'-]{0,120}$/.test(error.message) ? `: ${error.message}` : '';
        throw new ConfigurationError(`is not a usable kubeconfig${reason}`, { input: 'kubeconfig' });
      }
      return use(selectContext(config, input.context, 'the kubeconfig input'));
    });
  }
  const config = new KubeConfig();
  const fromEnv = (runtime.env['KUBECONFIG'] ?? '').split(':').filter((path) => path !== '');
  const home = runtime.env['HOME'];
  const homeConfig = home ? join(home, '.kube', 'config') : undefined;
  let source: string;
  if (fromEnv.length > 0) {
    for (const [index, path] of fromEnv.entries()) {
      if (!existsSync(path))
        throw new ConfigurationError(`KUBECONFIG names ${path}, which does not exist`, { input: 'kubeconfig' });
      const text = readFileSync(path, 'utf8');
      const document = validateKubeconfigText(text, undefined, path);
      for (const secret of kubeconfigSecrets(document)) runtime.mask(secret);
      if (index === 0) config.loadFromString(text);
      else {
        const more = new KubeConfig();
        more.loadFromString(text);
        config.mergeConfig(more);
      }
    }
    source = fromEnv.join(':');
  } else if (homeConfig !== undefined && existsSync(homeConfig)) {
    const text = readFileSync(homeConfig, 'utf8');
    const document = validateKubeconfigText(text, undefined, homeConfig);
    for (const secret of kubeconfigSecrets(document)) runtime.mask(secret);
    config.loadFromString(text);
    source = homeConfig;
  } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
    config.loadFromCluster();
    source = 'the in-cluster service account';
  } else {
    throw new ConfigurationError(
      'no kubeconfig: give the kubeconfig input, set KUBECONFIG, write ~/.kube/config, or run inside a cluster',
      { input: 'kubeconfig' },
    );
  }
  return use(selectContext(config, input.context, source));
}
