// A network namespace per pod, as a CNI bridge-less plugin would make it: `ip netns add`, a veth pair whose
// host end holds the first address of a private /30 and whose pod end (eth0) the second, loopback up, a
// default route back to the host. Two pods may then both listen on 8080, each reached at its own address.
// Indexes are claimed by creating the namespace (creation fails when it exists), so kubelets in parallel
// processes on one machine never share one.
import { execWithDeadline } from '@shiprail/core';

const IP_DEADLINE_MS = 10_000;
const NAMESPACE_PREFIX = 'shiprail-pod-';
const INTERFACE_PREFIX = 'shrpod';

export interface PodNetwork {
  /** The namespace's name under /run/netns. */
  namespace: string;
  /** The pod's address: where its containers' ports are reached from the host. */
  podIp: string;
  hostIp: string;
  hostInterface: string;
}

/** A pool of /30 networks inside an IPv4 network (`10.213.0.0/16`). */
export interface PodNetworkRange {
  base: number;
  /** How many /30 blocks it holds. */
  blocks: number;
}

const toNumber = (address: string): number => address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);

const toAddress = (value: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

/** Reads `a.b.c.d/n` (n from 8 to 30) into a pool of /30 blocks. */
export function readPodNetworkRange(cidr: string): PodNetworkRange {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  const prefix = Number(match?.[2]);
  if (!match?.[1] || match[1].split('.').some((part) => Number(part) > 255) || prefix < 8 || prefix > 30)
    throw new Error(`pod network '${cidr}' is not an IPv4 network from /8 to /30`);
  const size = 2 ** (32 - prefix);
  const base = toNumber(match[1]);
  if (base % size !== 0) throw new Error(`pod network '${cidr}' has host bits set`);
  return { base, blocks: size / 4 };
}

/** The addresses and names of block `index` of a range. */
export function podNetworkAt(range: PodNetworkRange, index: number): PodNetwork {
  const block = range.base + index * 4;
  return {
    namespace: `${NAMESPACE_PREFIX}${index}`,
    hostIp: toAddress(block + 1),
    podIp: toAddress(block + 2),
    hostInterface: `${INTERFACE_PREFIX}${index}`,
  };
}

/**
 * Routes on this machine that overlap the range, other than those of our own pod interfaces: a pod
 * address there would shadow a real network.
 */
export function overlappingRoutes(routes: string, range: PodNetworkRange): string[] {
  const end = range.base + range.blocks * 4;
  return routes
    .split('\n')
    .filter((line) => {
      const match = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?\s.*?\bdev\s+(\S+)/.exec(line.trim());
      if (!match?.[1] || match[3]?.startsWith(INTERFACE_PREFIX)) return false;
      const start = toNumber(match[1]);
      const stop = start + 2 ** (32 - Number(match[2] ?? 32));
      return start < end && stop > range.base;
    })
    .map((line) => line.trim());
}

const ip = (args: readonly string[], input?: string) =>
  execWithDeadline('ip', args, {
    deadline: { ms: IP_DEADLINE_MS, what: `ip ${args.join(' ')}` },
    allowFailure: true,
    ...(input === undefined ? {} : { input }),
  });

/** Fails with a clear message when this process may not make network namespaces. */
export async function checkPodNetworking(range: PodNetworkRange): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error(
      'running pods needs root: each pod gets its own network namespace (ip netns add) and a veth pair; run as root or in CI',
    );
  const routes = await ip(['-4', '-o', 'route', 'show', 'table', 'all']);
  const overlapping = overlappingRoutes(routes.stdout, range);
  if (overlapping.length > 0)
    throw new Error(`the pod network overlaps routes of this machine: ${overlapping.join('; ')}`);
}

async function configure(network: PodNetwork): Promise<void> {
  const host = [
    `link add ${network.hostInterface} type veth peer name eth0 netns ${network.namespace}`,
    `addr add ${network.hostIp}/30 dev ${network.hostInterface}`,
    `link set ${network.hostInterface} up`,
  ];
  const pod = [
    'link set lo up',
    `addr add ${network.podIp}/30 dev eth0`,
    'link set eth0 up',
    `route add default via ${network.hostIp}`,
  ];
  for (const [args, lines] of [
    [['-batch', '-'], host],
    [['-n', network.namespace, '-batch', '-'], pod],
  ] as const) {
    const result = await ip(args, `${lines.join('\n')}\n`);
    if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
  }
}

/** Claims a free block of the range (starting at a random one) and sets up its namespace. */
export async function claimPodNetwork(range: PodNetworkRange, random: () => number = Math.random): Promise<PodNetwork> {
  const start = Math.floor(random() * range.blocks);
  for (let offset = 0; offset < range.blocks; offset += 1) {
    const network = podNetworkAt(range, (start + offset) % range.blocks);
    const added = await ip(['netns', 'add', network.namespace]);
    if (added.exitCode !== 0) {
      if (/exists/i.test(added.stderr)) continue;
      throw new Error(`ip netns add ${network.namespace} failed: ${added.stderr.trim()}`);
    }
    try {
      await configure(network);
      return network;
    } catch (error) {
      await releasePodNetwork(network);
      throw error;
    }
  }
  throw new Error('every pod network of the range is in use');
}

/** Deletes the namespace (its eth0 and so the host end of the pair go with it); safe to call twice. */
export async function releasePodNetwork(network: PodNetwork): Promise<void> {
  const deleted = await ip(['netns', 'delete', network.namespace]);
  const link = await ip(['link', 'delete', network.hostInterface]);
  const problems = [deleted, link]
    .map((result) => result.stderr.trim())
    .filter((text) => text !== '' && !/No such file|Cannot find device|does not exist/i.test(text));
  if (problems.length > 0) throw new Error(`releasing ${network.namespace}: ${problems.join('; ')}`);
}
