// Which entries of the services manifest a change edited: a service whose entry changed (its test command,
// its Dockerfile, its paths) is selected as if its files had changed, and so are the dependants of a
// library whose entry changed; the rest of the manifest is not a reason to rebuild anything.
import type { LibraryDefinition, Manifest, ServiceDefinition } from './manifest.ts';

/** An entry as it behaves: where the manifest wrote it (positions) is left out, since moving lines changes nothing. */
function behaviourOf(entry: ServiceDefinition | LibraryDefinition): string {
  return JSON.stringify(entry, (key, value: unknown) => (key === 'at' ? undefined : value));
}

/**
 * The libraries and services whose entries differ between the manifest at the compared base and now, each
 * with the reason to give (entry name → reason). `before` undefined: the base had no manifest, so every
 * entry is new.
 */
export function changedEntries(before: Manifest | undefined, after: Manifest): Map<string, string> {
  const previous = new Map<string, string>();
  for (const entry of [...(before?.libraries ?? []), ...(before?.services ?? [])]) {
    previous.set(entry.name, behaviourOf(entry));
  }
  const changed = new Map<string, string>();
  for (const entry of [...after.libraries, ...after.services]) {
    const was = previous.get(entry.name);
    if (was === undefined) changed.set(entry.name, `${after.file}: entry added`);
    else if (was !== behaviourOf(entry)) changed.set(entry.name, `${after.file}: entry changed`);
  }
  return changed;
}
