// Whether another attempt is worth it: the one table for errors and the one for git's reports.
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

describe('classifyFailure', () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  test.each<[string, unknown, Failure]>([
    ['an error that says it is transient', new ClassifiedError('x', 'transient'), 'transient'],
    ['an error that says it is permanent', new ClassifiedError('x', 'permanent'), 'permanent'],
    ['a deadline', new DeadlineError('registry', 1000), 'transient'],
    ['503', new HttpStatusError(503, 'http://h/'), 'transient'],
    ['403', new HttpStatusError(403, 'http://h/'), 'permanent'],
    ['a reset connection', withCode('ECONNRESET'), 'transient'],
    [
      'a refused connection, as a cause',
      new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }),
      'transient',
    ],
    ['a self-signed certificate', withCode('DEPTH_ZERO_SELF_SIGNED_CERT'), 'permanent'],
    ['an expired certificate, as a cause', new Error('x', { cause: withCode('CERT_HAS_EXPIRED') }), 'permanent'],
    ['a scheme the client does not speak', withCode('ERR_INVALID_PROTOCOL'), 'permanent'],
    ['an unknown host', withCode('ENOTFOUND'), 'unknown'],
    ['a plain error', new Error('boom'), 'unknown'],
    ['not an error', 'text', 'unknown'],
  ])('%s: %s', (_name, error, failure) => {
    expect(classifyFailure(error)).toBe(failure);
    expect(isTransient(error)).toBe(failure === 'transient');
  });
});

describe("classifyGitFailure: git's report of a failed fetch or push", () => {
  test.each<[string, GitFailure]>([
    ["fatal: couldn't find remote ref refs/heads/gone", 'missing'],
    ['fatal: remote error: upload-pack: not our ref 1a2b3c4', 'missing'],
    ["fatal: 'origin' does not appear to be a git repository", 'missing'],
    ["fatal: Authentication failed for 'https://github.com/acme/shop.git/'", 'refused'],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", 'refused'],
    ['git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'refused'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 403", 'refused'],
    ["fatal: repository 'https://github.com/acme/gone.git/' not found", 'refused'],
    ["fatal: unable to access 'https://x/': SSL certificate problem: self-signed certificate", 'refused'],
    ["fatal: unable to access 'https://x/': Could not resolve host: x", 'transient'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 502", 'transient'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 429", 'transient'],
    ["fatal: unable to access 'http://x/': Empty reply from server", 'transient'],
    ['error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: early EOF', 'transient'],
    ['fatal: the remote end hung up unexpectedly', 'transient'],
    ['fatal: something nobody has seen before', 'refused'],
    ['!\tHEAD:refs/heads/main\t[rejected] (fetch first)', 'race'],
    ['!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)', 'race'],
    ['!\tHEAD:refs/heads/x\t[rejected] (stale info)', 'race'],
    ['!\tHEAD:refs/heads/main\t[remote rejected] (failed to update ref)', 'race'],
    ["error: cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d", 'race'],
    ['!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)', 'refused'],
    ['remote: error: GH006: Protected branch update failed for refs/heads/main.', 'refused'],
    ['!\tHEAD:refs/heads/main\t[remote rejected] (protected branch hook declined)', 'refused'],
    ["fatal: Authentication failed for 'https://github.com/acme/gitops.git/'", 'refused'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 403", 'refused'],
    ["fatal: repository 'https://x/a.git/' not found", 'refused'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 502", 'transient'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 429", 'transient'],
    ["fatal: unable to access 'http://x/': Operation too slow. Less than 1000 bytes/sec", 'transient'],
    ["fatal: unable to access 'https://x/': Could not resolve host: x", 'transient'],
    ["fatal: unable to access 'http://x/': Failed to connect to x port 80: Connection refused", 'transient'],
    ['error: RPC failed; curl 56 Recv failure: Connection reset by peer', 'transient'],
    ['fatal: the remote end hung up unexpectedly', 'transient'],
  ])('%s: %s', (output, failure) => {
    expect(classifyGitFailure(output)).toBe(failure);
  });
});
