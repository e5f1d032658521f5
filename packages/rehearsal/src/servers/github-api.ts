// The part of GitHub's REST API the deploy workflow calls in a rehearsal, under `<server>/api/v3`: the
// comments of a pull request (list with pages, create, update), answering only the job's token; and an
// incoming webhook that keeps what it was sent. Both record every call, so scenarios can check them.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface IssueComment {
  id: number;
  body: string;
}

/** JSON request bodies are small here; anything larger is refused rather than buffered. */
const MAX_BODY = 1 << 20;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const COMMENTS = /^\/api\/v3\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/;
const COMMENT = /^\/api\/v3\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/;

export class GitHubApi {
  /** Pull request number → its comments, oldest first. */
  readonly comments = new Map<number, IssueComment[]>();
  /** Bodies the webhook received, oldest first. */
  readonly notifications: unknown[] = [];
  private nextId = 1;
  private readonly token: string;

  constructor(token: string) {
    this.token = token;
  }

  /** The `text` of each message the webhook received, as Slack or Teams would show it. */
  notificationTexts(): string[] {
    return this.notifications.map((message) => {
      const text = (message as { text?: unknown } | null)?.text;
      return typeof text === 'string' ? text : '';
    });
  }

  reset(): void {
    this.comments.clear();
    this.notifications.length = 0;
  }

  /** Serves `/api/v3/…` and `/hooks/notify`; false for any other path. */
  handles(url: URL): boolean {
    return url.pathname.startsWith('/api/v3/') || url.pathname === '/hooks/notify';
  }

  async serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/hooks/notify') {
      this.notifications.push(JSON.parse(await readBody(request)) as unknown);
      response.writeHead(200).end('ok');
      return;
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      answer(response, 401, { message: 'Bad credentials' });
      return;
    }
    const list = COMMENTS.exec(url.pathname);
    if (list && request.method === 'GET') return this.list(response, Number(list[2]), url.searchParams);
    if (list && request.method === 'POST') {
      const comment = { id: this.nextId++, body: this.bodyOf(await readBody(request)) };
      this.comments.set(Number(list[2]), [...(this.comments.get(Number(list[2])) ?? []), comment]);
      return answer(response, 201, comment);
    }
    const one = COMMENT.exec(url.pathname);
    if (one && request.method === 'PATCH') {
      const comment = [...this.comments.values()].flat().find((item) => item.id === Number(one[2]));
      if (!comment) return answer(response, 404, { message: 'Not Found' });
      comment.body = this.bodyOf(await readBody(request));
      return answer(response, 200, comment);
    }
    answer(response, 404, { message: 'Not Found' });
  }

  private list(response: ServerResponse, number: number, query: URLSearchParams): void {
    const perPage = Math.min(Number(query.get('per_page') ?? 30), 100);
    const page = Math.max(Number(query.get('page') ?? 1), 1);
    const all = this.comments.get(number) ?? [];
    answer(response, 200, all.slice((page - 1) * perPage, page * perPage));
  }

  private bodyOf(text: string): string {
    const parsed = JSON.parse(text) as { body?: unknown };
    if (typeof parsed.body !== 'string') throw new Error('a comment needs a body');
    return parsed.body;
  }
}
