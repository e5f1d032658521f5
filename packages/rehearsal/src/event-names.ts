// The events a rehearsal delivers to a workflow: a push, a pull request, or a pull request in a merge queue.
export const EVENT_NAMES = ['push', 'pull_request', 'merge_group'] as const;
export type EventName = (typeof EVENT_NAMES)[number];
