// Whether another attempt is worth it: one table for errors (thrown by Node, undici, a server's status, or
// an action that already knows) and one for git's reports of a failed command. Every retry in the house
// asks one of them, and nothing else decides.
import { DeadlineError, HttpStatusError } from './network.ts';

/**
 * What another attempt at the same operation would do: maybe succeed (`transient`: the network, a
 * timeout, a server's own failure), repeat the failure (`permanent`: a refusal, a certificate, a bad
 * request), or nobody can tell (`unknown`: each caller chooses, most do not retry).
 */
export type Failure = 'transient' | 'permanent' | 'unknown';

/** An error whose maker decided from what it saw whether another attempt can fix it. */
export class ClassifiedError extends Error {
  readonly failure: Exclude<Failure, 'unknown'>;

  constructor(message: string, failure: Exclude<Failure, 'unknown'>) {
    super(message);
    this.name = 'ClassifiedError';
    this.failure = failure;
  }
}

/** `transient` when another attempt can fix it, else `permanent`. */
export const failureOf = (transient: boolean): Exclude<Failure, 'unknown'> => (transient ? 'transient' : 'permanent');

/** Statuses another attempt can change: a timeout, too many requests, or the server's own failure. */
export const isTransientStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

// Errors of the connection itself as Node, undici and libuv name them: another attempt may succeed. A
// certificate or a scheme the client does not speak is presented again: another attempt repeats it.
const FAILURE_CODES: Readonly<Record<string, Exclude<Failure, 'unknown'>>> = {
  ECONNRESET: 'transient',
  ECONNREFUSED: 'transient',
  ECONNABORTED: 'transient',
  ETIMEDOUT: 'transient',
  EPIPE: 'transient',
  EHOSTUNREACH: 'transient',
  ENETUNREACH: 'transient',
  ENETDOWN: 'transient',
  EAI_AGAIN: 'transient',
  UND_ERR_SOCKET: 'transient',
  UND_ERR_CONNECT_TIMEOUT: 'transient',
  UND_ERR_HEADERS_TIMEOUT: 'transient',
  UND_ERR_BODY_TIMEOUT: 'transient',
  UND_ERR_CLOSED: 'transient',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'permanent',
  SELF_SIGNED_CERT_IN_CHAIN: 'permanent',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'permanent',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'permanent',
  CERT_HAS_EXPIRED: 'permanent',
  CERT_NOT_YET_VALID: 'permanent',
  ERR_TLS_CERT_ALTNAME_INVALID: 'permanent',
  ERR_INVALID_PROTOCOL: 'permanent',
};

// Duck-typed: errors from another realm (a VM context, a worker) fail `instanceof Error`.
const field = (error: unknown, name: 'code' | 'cause'): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;

/** The first code of the error or its causes that the table knows. */
function codeFailure(error: unknown): Failure | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    const code = field(current, 'code');
    if (typeof code === 'string' && Object.hasOwn(FAILURE_CODES, code)) return FAILURE_CODES[code];
    current = field(current, 'cause');
  }
  return undefined;
}

/** The table, first answer wins. */
const CLASSIFIERS: ReadonlyArray<(error: unknown) => Failure | undefined> = [
  (error) => (error instanceof ClassifiedError ? error.failure : undefined),
  (error) => (error instanceof DeadlineError ? 'transient' : undefined),
  (error) => (error instanceof HttpStatusError ? failureOf(isTransientStatus(error.status)) : undefined),
  codeFailure,
];

/** What another attempt would do about this error. */
export function classifyFailure(error: unknown): Failure {
  for (const classify of CLASSIFIERS) {
    const failure = classify(error);
    if (failure !== undefined) return failure;
  }
  return 'unknown';
}

/**
 * Whether another attempt can fix this error: network failures, a deadline that expired, 408, 429 and
 * 5xx. Not 4xx answers, bad certificates, refused schemes or anything else the same request repeats.
 */
export const isTransient = (error: unknown): boolean => classifyFailure(error) === 'transient';

/**
 * What git's report of a failed command that talked to a remote means: the ref is not there (`missing`),
 * the remote or its credentials refuse (`refused`), a push lost a race to another (`race`: fetch and try
 * again), or the network or server failed (`transient`). Anything unrecognised is `refused`.
 */
export type GitFailure = 'missing' | 'refused' | 'race' | 'transient';

// First match wins. A ref the remote does not have comes first (a clone without an origin remote reads
// like one); refusals before races, since a hook that declines a push also makes git print
// `[remote rejected]`.
const GIT_FAILURES: ReadonlyArray<readonly [GitFailure, RegExp]> = [
  [
    'missing',
    /couldn't find remote ref|not our ref|no such remote ref|unadvertised object|invalid refspec|'origin' does not appear to be a git repository/i,
  ],
  [
    'refused',
    /authentication failed|could not read (username|password)|terminal prompts disabled|host key verification failed|permission|denied|forbidden|returned error: (401|403|404)|repository (.* )?not found|does not appear to be a git repository|not a git repository|unable to access .*: ssl|certificate|protocol '.*' is not supported|unsupported protocol|hook declined|protected branch|GH006|GH013/i,
  ],
  [
    'race',
    /\((?:fetch first|non-fast-forward|stale info)\)|cannot lock ref|failed to update ref|failed to lock|incorrect old value/i,
  ],
  [
    'transient',
    /could not resolve host|temporary failure in name resolution|connection (refused|reset|timed out)|timed out|operation too slow|early eof|hung up unexpectedly|rpc failed|returned error: (408|429|5\d\d)|transfer closed|unexpected disconnect|the remote end hung up|network is unreachable|no route to host|broken pipe|gnutls_handshake|ssl_read|recv failure|send failure|HTTP\/2 stream|could not read from remote repository|failed to connect|empty reply from server/i,
  ],
];

/** Classifies git's output of a failed network command (clone, fetch, ls-remote, push). */
export function classifyGitFailure(output: string): GitFailure {
  for (const [failure, pattern] of GIT_FAILURES) if (pattern.test(output)) return failure;
  return 'refused';
}
