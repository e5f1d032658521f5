// Whether another attempt is worth it: the one table for errors and the one for git's reports. Each row
// says why: only what another attempt can fix is retried.
import {
  ClassifiedError,
  classifyFailure,
  classifyGitFailure,
  DeadlineError,
  HttpStatusError,
  isTransient,
  type Failure,
  type GitFailure,
} from '@shiprail/core';

describe('classifyFailure: retried only when another attempt can succeed', () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  test.each<[string, unknown, Failure, string]>([
    ['an error that says it is transient', new ClassifiedError('x', 'transient'), 'transient', 'its maker saw why'],
    ['an error that says it is permanent', new ClassifiedError('x', 'permanent'), 'permanent', 'its maker saw why'],
    ['a deadline', new DeadlineError('registry', 1000), 'transient', 'a slow moment passes'],
    ['503', new HttpStatusError(503, 'http://h/'), 'transient', 'the server’s own failure'],
    ['502', new HttpStatusError(502, 'http://h/'), 'transient', 'a proxy lost its upstream'],
    ['429', new HttpStatusError(429, 'http://h/'), 'transient', 'the limit resets'],
    ['408', new HttpStatusError(408, 'http://h/'), 'transient', 'the server gave up waiting'],
    ['401', new HttpStatusError(401, 'http://h/'), 'permanent', 'the same credentials are sent again'],
    ['403', new HttpStatusError(403, 'http://h/'), 'permanent', 'the same credentials are refused again'],
    ['404', new HttpStatusError(404, 'http://h/'), 'permanent', 'the same path is missing again'],
    ['400', new HttpStatusError(400, 'http://h/'), 'permanent', 'the same request is malformed again'],
    ['a reset connection', withCode('ECONNRESET'), 'transient', 'the network'],
    [
      'a refused connection, as a cause',
      new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }),
      'transient',
      'the server may be starting',
    ],
    ['a failed name lookup that says try again', withCode('EAI_AGAIN'), 'transient', 'the resolver said so'],
    ['an undici socket failure', withCode('UND_ERR_SOCKET'), 'transient', 'the network'],
    [
      'a self-signed certificate',
      withCode('DEPTH_ZERO_SELF_SIGNED_CERT'),
      'permanent',
      'the same certificate is presented again',
    ],
    [
      'an expired certificate, as a cause',
      new Error('x', { cause: withCode('CERT_HAS_EXPIRED') }),
      'permanent',
      'the same certificate is presented again',
    ],
    [
      'a certificate for another name',
      withCode('ERR_TLS_CERT_ALTNAME_INVALID'),
      'permanent',
      'the name does not change',
    ],
    ['a scheme the client does not speak', withCode('ERR_INVALID_PROTOCOL'), 'permanent', 'the URL does not change'],
    ['an unknown host', withCode('ENOTFOUND'), 'unknown', 'a typo or DNS not yet there: the caller knows'],
    ['a plain error', new Error('boom'), 'unknown', 'nothing says'],
    ['not an error', 'text', 'unknown', 'nothing says'],
  ])('%s: %s (%s)', (_name, error, failure) => {
    expect(classifyFailure(error)).toBe(failure);
    expect(isTransient(error)).toBe(failure === 'transient');
  });
});

describe("classifyGitFailure: git's report of a failed fetch or push", () => {
  test.each<[string, GitFailure, string]>([
    ["fatal: couldn't find remote ref refs/heads/gone", 'missing', 'the branch is not there'],
    ['fatal: remote error: upload-pack: not our ref 1a2b3c4', 'missing', 'the commit is not there'],
    ["fatal: 'origin' does not appear to be a git repository", 'missing', 'the clone has no origin'],
    ["fatal: Authentication failed for 'https://github.com/acme/shop.git/'", 'refused', 'the same token again'],
    [
      "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
      'refused',
      'no credentials were given',
    ],
    [
      'git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.',
      'refused',
      'the same key again',
    ],
    [
      'Host key verification failed.\nfatal: Could not read from remote repository.',
      'refused',
      'the same host key again',
    ],
    [
      'ERROR: Repository not found.\nfatal: Could not read from remote repository.',
      'refused',
      'the repository or the access to it is missing',
    ],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 403", 'refused', 'the same token again'],
    [
      "fatal: repository 'https://github.com/acme/gone.git/' not found",
      'refused',
      'the repository or the access to it is missing',
    ],
    [
      "fatal: unable to access 'https://x/': SSL certificate problem: self-signed certificate",
      'refused',
      'the same certificate again',
    ],
    ["fatal: unable to access 'https://x/': Could not resolve host: x", 'transient', 'DNS may answer next time'],
    [
      "fatal: unable to access 'https://x/': The requested URL returned error: 502",
      'transient',
      'the server’s own failure',
    ],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 429", 'transient', 'the limit resets'],
    ["fatal: unable to access 'http://x/': Empty reply from server", 'transient', 'the network'],
    [
      "fatal: unable to access 'http://x/': Operation too slow. Less than 1000 bytes/sec",
      'transient',
      'a stalled transfer',
    ],
    [
      "fatal: unable to access 'http://x/': Failed to connect to x port 80: Connection refused",
      'transient',
      'the server may be starting',
    ],
    ['error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: early EOF', 'transient', 'the network'],
    ['fatal: the remote end hung up unexpectedly', 'transient', 'the network'],
    ['fatal: something nobody has seen before', 'refused', 'unknown reports are not retried'],
    ['!\tHEAD:refs/heads/main\t[rejected] (fetch first)', 'race', 'fetch, re-apply and push again'],
    ['!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)', 'race', 'fetch, re-apply and push again'],
    ['!\tHEAD:refs/heads/x\t[rejected] (stale info)', 'race', 'fetch, re-apply and push again'],
    ['!\tHEAD:refs/heads/main\t[remote rejected] (failed to update ref)', 'race', 'another push held the ref'],
    ["error: cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d", 'race', 'another push moved the ref'],
    ['!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)', 'refused', 'the hook declines again'],
    [
      'remote: error: GH006: Protected branch update failed for refs/heads/main.',
      'refused',
      'the branch stays protected',
    ],
    [
      '!\tHEAD:refs/heads/main\t[remote rejected] (protected branch hook declined)',
      'refused',
      'the branch stays protected',
    ],
  ])('%s: %s (%s)', (output, failure) => {
    expect(classifyGitFailure(output)).toBe(failure);
  });
});
