import { getOctokit } from '@actions/github';

export interface PullRequestRequest {
  token: string;
  apiUrl: string;
  owner: string;
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface PullRequestResult {
  url: string;
  number: number;
  created: boolean;
}

/** Opens a pull request from `head` into `base`, or updates the open one for that head branch. */
export async function openOrUpdatePullRequest(request: PullRequestRequest): Promise<PullRequestResult> {
  const octokit = getOctokit(request.token, { baseUrl: request.apiUrl.replace(/\/+$/, '') });
  const { owner, repo, head, base, title, body } = request;
  const { data: open } = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:${head}`, base, state: 'open' });
  const existing = open[0];
  if (existing !== undefined) {
    await octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title, body });
    return { url: existing.html_url, number: existing.number, created: false };
  }
  const { data: created } = await octokit.rest.pulls.create({ owner, repo, head, base, title, body });
  return { url: created.html_url, number: created.number, created: true };
}
