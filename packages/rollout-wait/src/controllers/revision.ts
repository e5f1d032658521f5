// How a revision a controller reports relates to the GitOps commit: the commit itself, a later commit
// that contains it, another one, or not known yet (the history is being read). Pure; the history
// source (history.ts) fills the answers in.
import type { Verdict } from '../status.ts';

export type Relation = 'ours' | 'contains-ours' | 'other' | 'unknown';

/** The relation of a commit (a full SHA, or a prefix of 12 or more) to ours, as far as the history has said. */
export type RelationOf = (sha: string) => Relation;

/** A controller's verdict on one object: the revision it reported, and whether that was checked at all. */
export interface ControllerVerdict extends Verdict {
  /** The revision the object is at (a commit SHA, a chart version), or '' before the controller said. */
  revision: string;
  /** False for objects whose sources are Helm repositories or OCI artifacts: health is all that is checked. */
  revisionChecked: boolean;
}

const SHA = /^[0-9a-f]{40}$/;

export const isCommitSha = (value: string): boolean => SHA.test(value);

export const shortSha = (sha: string): string => (isCommitSha(sha) ? sha.slice(0, 12) : sha);

/**
 * The commit of a Flux revision: `main@sha1:<sha>` (Flux 2.x), `sha1:<sha>`, `refs/heads/main@sha1:<sha>`,
 * or the older `main/<sha>`.
 */
export function fluxRevisionSha(revision: string | undefined): string | undefined {
  const match = /(?:^|[@/:])([0-9a-f]{40})$/.exec(revision ?? '');
  return match?.[1];
}

/** Our commit, or one containing it. */
export const reached = (relation: Relation): boolean => relation === 'ours' || relation === 'contains-ours';

/** How a revision reads in messages: `ours` when it is, the short SHA otherwise. */
export function describeRevision(sha: string, relation: Relation): string {
  if (relation === 'ours') return `${shortSha(sha)} (ours)`;
  if (relation === 'contains-ours') return `${shortSha(sha)} (contains ours)`;
  return shortSha(sha) || 'no revision yet';
}
