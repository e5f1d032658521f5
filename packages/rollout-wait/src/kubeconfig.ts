// The kubeconfig: from the input (YAML or base64 of it, kept in memory), else KUBECONFIG, ~/.kube/config,
// then the in-cluster service account. Every credential in it is masked before anything can print it, and
// every cluster's server is read as kubectl reads it.
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigurationError, parseYamlDocument, urlCredentials, type Runtime } from '@shiprail/core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Kubernetes client library (most of the bundle), loaded once a kubeconfig is to be read: a step that
 * stops at its inputs, or at a malformed kubeconfig, does not compile it.
 */
const kubernetesClient = (): Promise<typeof import('@kubernetes/client-node')> => import('@kubernetes/client-node');

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
  const clusters = (document as { clusters?: unknown } | null)?.clusters;
  for (const entry of Array.isArray(clusters) ? clusters : []) {
    const server = (entry as { cluster?: { server?: unknown } } | null)?.cluster?.server;
    // A server without a scheme is read as a URL too (kubectl adds one).
    if (typeof server === 'string')
      secrets.push(...urlCredentials(server.includes('://') ? server : `https://${server}`));
  }
  return secrets;
}

async function validateKubeconfigText(
  text: string,
  input: string | undefined,
  file: string | undefined,
): Promise<unknown> {
  const where = input !== undefined ? { input } : { file };
  const { value } = await parseYamlDocument(text, where);
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

/** A cluster's server as kubectl reads it: the URL it connects to, and credentials written into it. */
export interface ClusterServer {
  url: string;
  username: string | undefined;
  password: string | undefined;
}

/**
 * Reads a kubeconfig `server` as kubectl does: without a scheme it is http (kubectl 1.32 too, whatever
 * TLS settings the cluster has); http and https are spoken, any other scheme is refused; a trailing slash
 * is dropped; `user:password@` is taken out of the URL (kept apart, for masking and basic auth).
 */
export function parseClusterServer(
  server: string,
  clusterName: string,
  location: { input?: string; file?: string },
): ClusterServer {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigurationError(`cluster '${clusterName}' has a server that is not a URL`, location);
  }
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(
      `cluster '${clusterName}' has a server with the scheme '${url.protocol.slice(0, -1)}': use https:// (or http:// for kubectl proxy and local clusters)`,
      location,
    );
  }
  return { url: url.toString().replace(/\/+$/, ''), username, password };
}

/**
 * Every cluster's server read as kubectl reads it (parseClusterServer). Credentials in a server URL (masked
 * with the kubeconfig's other secrets) become the user's basic auth when the user has no username of its own.
 */
function normalizeServers(config: KubeConfig, location: { input?: string; file?: string }): void {
  const userOf = new Map<string, string>();
  for (const context of config.contexts) userOf.set(context.cluster, context.user);
  const users = [...config.users];
  const clusters = config.clusters.map((cluster) => {
    const userName = userOf.get(cluster.name);
    const index = users.findIndex((user) => user.name === userName);
    const user = users[index];
    const server = parseClusterServer(cluster.server, cluster.name, location);
    if (server.username !== undefined && user !== undefined && !user.username) {
      users[index] = { ...user, username: server.username, password: server.password };
    }
    return { ...cluster, server: server.url };
  });
  config.loadFromOptions({ clusters, users, contexts: config.contexts, currentContext: config.currentContext });
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

/** Loads one kubeconfig text whose secrets were masked; `where` names the input or file in errors. */
function loadText(config: KubeConfig, text: string, where: { input?: string; file?: string }): void {
  try {
    config.loadFromString(text);
  } catch (error) {
    // The library's message may quote the content: say only that it does not load.
    const reason = error instanceof Error && /^[\w ,.:'-]{0,120}$/.test(error.message) ? `: ${error.message}` : '';
    throw new ConfigurationError(`is not a usable kubeconfig${reason}`, where);
  }
}

/** Reads, validates and masks one kubeconfig text before anything uses it. */
async function readKubeconfig(
  runtime: Runtime,
  text: string,
  where: { input?: string; file?: string },
): Promise<KubeConfig> {
  const document = await validateKubeconfigText(text, where.input, where.file);
  for (const secret of kubeconfigSecrets(document)) runtime.mask(secret);
  const config = new (await kubernetesClient()).KubeConfig();
  loadText(config, text, where);
  return config;
}

/**
 * The kubeconfig to use: the input's content (kept in memory, never written to disk), else KUBECONFIG,
 * ~/.kube/config, then the in-cluster service account. Every credential is masked before first use.
 */
export async function loadKubeConfig(
  runtime: Runtime,
  input: { kubeconfig: string; context: string },
): Promise<LoadedKubeConfig> {
  const fromEnv = (runtime.env['KUBECONFIG'] ?? '').split(':').filter((path) => path !== '');
  const home = runtime.env['HOME'];
  const homeConfig = home ? join(home, '.kube', 'config') : undefined;
  let config: KubeConfig;
  let source: string;
  let where: { input?: string; file?: string } = { input: 'kubeconfig' };
  if (input.kubeconfig !== '') {
    config = await readKubeconfig(runtime, decodeKubeconfig(input.kubeconfig), where);
    source = 'the kubeconfig input';
  } else if (fromEnv.length > 0) {
    config = new (await kubernetesClient()).KubeConfig();
    for (const [index, path] of fromEnv.entries()) {
      if (!existsSync(path))
        throw new ConfigurationError(`KUBECONFIG names ${path}, which does not exist`, { input: 'kubeconfig' });
      const more = await readKubeconfig(runtime, readFileSync(path, 'utf8'), { file: path });
      if (index === 0) config = more;
      else config.mergeConfig(more);
    }
    source = fromEnv.join(':');
    where = { file: fromEnv[0] };
  } else if (homeConfig !== undefined && existsSync(homeConfig)) {
    config = await readKubeconfig(runtime, readFileSync(homeConfig, 'utf8'), { file: homeConfig });
    source = homeConfig;
    where = { file: homeConfig };
  } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
    config = new (await kubernetesClient()).KubeConfig();
    config.loadFromCluster();
    source = 'the in-cluster service account';
  } else {
    throw new ConfigurationError(
      'no kubeconfig: give the kubeconfig input, set KUBECONFIG, write ~/.kube/config, or run inside a cluster',
      { input: 'kubeconfig' },
    );
  }
  normalizeServers(config, where);
  return selectContext(config, input.context, source);
}
