// The part of GitHub's REST API that opens and updates pull requests, on 127.0.0.1:
// GET/POST /repos/{owner}/{repo}/pulls and PATCH /repos/{owner}/{repo}/pulls/{number}.
import { createServer } from 'node:http';
import { listenOnLoopback } from '@shiprail/rehearsal/servers';

export interface FakePull {
  number: number;
  owner: string;
  repo: string;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  html_url: string;
}

export interface PullsRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface GitHubPullsServer {
  url: string;
  pulls: FakePull[];
  requests: PullsRequest[];
  stop(): Promise<void>;
}

export async function startGitHubPullsServer(): Promise<GitHubPullsServer> {
  const pulls: FakePull[] = [];
  const requests: PullsRequest[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    requests.push({ method, path: `${url.pathname}${url.search}`, authorization: request.headers.authorization });
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const reply = (status: number, value: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      if (!request.headers.authorization) return reply(401, { message: 'Requires authentication' });
      const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(url.pathname);
      if (match === null) return reply(404, { message: 'Not Found' });
      const [, owner = '', repo = '', number] = match;
      const serialize = (pull: FakePull): unknown => ({
        ...pull,
        head: { ref: pull.head, label: `${pull.owner}:${pull.head}` },
        base: { ref: pull.base },
      });
      const fields = (body ? JSON.parse(body) : {}) as Partial<Record<'title' | 'body' | 'head' | 'base', string>>;
      if (method === 'GET' && number === undefined) {
        const head = url.searchParams.get('head');
        const base = url.searchParams.get('base');
        const state = url.searchParams.get('state') ?? 'open';
        const found = pulls.filter(
          (pull) =>
            pull.owner === owner &&
            pull.repo === repo &&
            (head === null || `${pull.owner}:${pull.head}` === head) &&
            (base === null || pull.base === base) &&
            (state === 'all' || pull.state === state),
        );
        return reply(200, found.map(serialize));
      }
      if (method === 'POST' && number === undefined) {
        if (!fields.head || !fields.base || !fields.title) return reply(422, { message: 'Validation Failed' });
        const pull: FakePull = {
          number: pulls.length + 1,
          owner,
          repo,
          title: fields.title,
          body: fields.body ?? '',
          head: fields.head,
          base: fields.base,
          state: 'open',
          html_url: `https://github.example/${owner}/${repo}/pull/${pulls.length + 1}`,
        };
        pulls.push(pull);
        return reply(201, serialize(pull));
      }
      const pull = pulls.find((candidate) => candidate.owner === owner && String(candidate.number) === number);
      if (method === 'PATCH' && pull !== undefined) {
        if (fields.title !== undefined) pull.title = fields.title;
        if (fields.body !== undefined) pull.body = fields.body;
        return reply(200, serialize(pull));
      }
      return reply(404, { message: 'Not Found' });
    });
  });
  return { ...(await listenOnLoopback(server)), pulls, requests };
}
