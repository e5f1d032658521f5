import { classifyFetchFailure, fetchFailureReason } from '@shiprail/detect-changed-services';

describe('classifyFetchFailure', () => {
  test.each([
    ["fatal: couldn't find remote ref refs/heads/gone", 'missing'],
    ['fatal: remote error: upload-pack: not our ref 1a2b3c4', 'missing'],
    ["fatal: 'origin' does not appear to be a git repository", 'missing'],
    ["fatal: Authentication failed for 'https://github.com/acme/shop.git/'", 'fatal'],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", 'fatal'],
    ['git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'fatal'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 403", 'fatal'],
    ["fatal: repository 'https://github.com/acme/gone.git/' not found", 'fatal'],
    ["fatal: unable to access 'https://x/': SSL certificate problem: self-signed certificate", 'fatal'],
    ["fatal: unable to access 'https://x/': Could not resolve host: x", 'transient'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 502", 'transient'],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 429", 'transient'],
    ["fatal: unable to access 'http://x/': Empty reply from server", 'transient'],
    ['error: RPC failed; curl 56 Recv failure: Connection reset by peer\nfatal: early EOF', 'transient'],
    ['fatal: the remote end hung up unexpectedly', 'transient'],
    ['fatal: something nobody has seen before', 'fatal'],
  ])('%s: %s', (stderr, kind) => {
    expect(classifyFetchFailure(stderr)).toBe(kind);
  });
});

describe('fetchFailureReason', () => {
  test.each([
    ['', 'no output'],
    ['warning: a\nfatal: b\n', 'warning: a fatal: b'],
    ["fatal: unable to access 'https://user:s3cret@x/': 500", "fatal: unable to access 'https://***@x/': 500"],
    ['fatal: x\n::warning::INJECTED', 'fatal: x ::warning::INJECTED'],
    ['::error::planted', '\\::error::planted'],
  ])('%j -> %j', (stderr, reason) => {
    expect(fetchFailureReason(stderr)).toBe(reason);
  });
});
