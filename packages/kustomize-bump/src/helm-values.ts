// Writing a new image into Helm values, as argocd-image-updater's helm write-back and Flux's image setters
// do: a values file, an Argo CD Application's spec.source(s).helm.valuesObject or values, a Flux
// HelmRelease's spec.values. Keys are found where the services manifest says (helm-values), or as the one
// image-shaped key whose repository ends in the image's name. Only the changed scalars are spliced: every
// other byte of the file (comments, quoting, order, spacing) is kept.
import { ConfigurationError, escapeUntrusted, formatYamlPath, type HelmValueKeys } from '@shiprail/core';
import { splitImageName, splitImageReference } from '@shiprail/core/image-reference';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Scalar, type YAMLMap } from 'yaml';
import { KEEP, type ImageEntry } from './image-args.ts';
import { targetOf, type ImageTargets } from './image-targets.ts';
import type { ImageChange } from './kustomization-edit.ts';

/** Where values sit in a file: the root of a values file, or inside a controller's object. */
interface ValuesHolder {
  /** `values`, or `Application/frontend spec.source.helm.valuesObject`. */
  label: string;
  /** Argo CD or Flux, who renders these values; '' for a plain values file (rendered by whoever runs Helm). */
  controller: string;
  map: YAMLMap;
  /** Helm parameters set beside the values (Argo CD): a key set there overrides the values. */
  parameters: string[];
  /** Argo CD's `values` string: `map` is read from its text, which is edited and written back whole. */
  embedded?: { scalar: Scalar; text: string };
}

/** One image written into one holder. */
export interface HelmImageChange extends ImageChange {
  /** What was checked and what will render, for the summary. */
  note: string;
}

export interface HelmValuesEdit {
  text: string;
  changes: HelmImageChange[];
  /** How many places held one of the images (changed or already up to date). */
  held: number;
}

/** One value to write: the key path, and the scalar or the map a missing key is added to. */
interface Write {
  path: string[];
  value: string;
}

/** A spot in the values holding an image, by key paths relative to the holder. */
interface ImageSpot {
  keys: HelmValueKeys;
  /** The values the keys held before the edit ('' for an absent tag or digest). */
  old: Partial<Record<keyof HelmValueKeys, string>>;
}

const splitPath = (path: string): string[] => path.split('.');
const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/**
 * Writes each image into every holder of `text` that holds it. An image a holder does not hold is left
 * alone there (a values file per service); the caller refuses a file that holds none of the images.
 */
export function setHelmValuesImages(
  text: string,
  file: string,
  images: readonly ImageEntry[],
  targets: ImageTargets,
): HelmValuesEdit {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  if (!Array.isArray(documents)) return { text, changes: [], held: 0 };
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) {
      const line = lineCounter.linePos(error.pos[0]).line;
      throw new ConfigurationError(`malformed YAML: ${error.message.split('\n')[0] ?? ''}`, { file, line });
    }
  }
  const holders = documents.flatMap((document) => valuesHolders(document, documents.length === 1, file));
  const splices: Splice[] = [];
  const changes: HelmImageChange[] = [];
  let held = 0;
  for (const holder of holders) {
    const writes: Write[] = [];
    for (const argument of images) {
      const keys = targetOf(targets, argument).helmValues;
      const spot = keys === undefined ? discoverSpot(holder, argument, file) : declaredSpot(holder, keys, file);
      if (spot === undefined) continue;
      held += 1;
      const planned = planImage(holder, spot, argument, file);
      if (planned.writes.length === 0) continue;
      refuseOverriddenKeys(holder, planned.writes, file);
      writes.push(...planned.writes);
      changes.push(planned.change);
    }
    if (writes.length === 0) continue;
    if (holder.embedded === undefined) {
      splices.push(...writes.map((write) => directSplice(text, holder.map, write, file)));
    } else {
      splices.push(embeddedSplice(text, holder.map, holder.embedded, writes, file));
    }
  }
  return { text: applySplices(text, splices), changes, held };
}

/** The values of one document: a plain values file (a lone document), or those of an Argo CD or Flux object. */
function valuesHolders(document: Document.Parsed, alone: boolean, file: string): ValuesHolder[] {
  const root = document.contents;
  if (!isMap(root)) return [];
  const apiVersion = asText(root.get('apiVersion')) ?? '';
  const kind = asText(root.get('kind')) ?? '';
  const name = asText(document.getIn(['metadata', 'name'])) ?? '';
  if (kind === 'Application' && apiVersion.startsWith('argoproj.io/')) {
    const sources: Array<[string, unknown]> = [['spec.source', document.getIn(['spec', 'source'], true)]];
    const list = document.getIn(['spec', 'sources'], true);
    if (isSeq(list)) list.items.forEach((item, index) => sources.push([`spec.sources[${index}]`, item]));
    return sources.flatMap(([at, source]) => argoValues(`Application/${name} ${at}`, source, file));
  }
  if (kind === 'HelmRelease' && apiVersion.startsWith('helm.toolkit.fluxcd.io/')) {
    const values = document.getIn(['spec', 'values'], true);
    return isMap(values)
      ? [{ label: `HelmRelease/${name} spec.values`, controller: 'Flux', map: values, parameters: [] }]
      : [];
  }
  // A values file holds no apiVersion/kind; a Kubernetes object that is not Argo CD's or Flux's holds no values.
  if (!alone || (root.has('apiVersion') && root.has('kind'))) return [];
  return [{ label: 'values', controller: '', map: root, parameters: [] }];
}

function argoValues(at: string, source: unknown, file: string): ValuesHolder[] {
  if (!isMap(source)) return [];
  const helm = source.get('helm', true);
  if (!isMap(helm)) return [];
  const parameters = helm.get('parameters', true);
  const names = isSeq(parameters)
    ? parameters.items.flatMap((item) => (isMap(item) ? [asText(item.get('name')) ?? ''] : []))
    : [];
  const holders: ValuesHolder[] = [];
  const object = helm.get('valuesObject', true);
  if (isMap(object)) {
    holders.push({ label: `${at}.helm.valuesObject`, controller: 'Argo CD', map: object, parameters: names });
  }
  const values = helm.get('values', true);
  if (isScalar(values) && typeof values.value === 'string' && values.value.trim() !== '') {
    const label = `${at}.helm.values`;
    const inner = parseAllDocuments(values.value);
    const root = Array.isArray(inner) && inner.length === 1 ? inner[0]?.contents : undefined;
    if (!isMap(root) || (Array.isArray(inner) && inner.some((document) => document.errors.length > 0))) {
      throw new ConfigurationError(`${label} is not a YAML mapping of values`, { file });
    }
    holders.push({
      label,
      controller: 'Argo CD',
      map: root,
      parameters: names,
      embedded: { scalar: values, text: values.value },
    });
  }
  return holders;
}

const scalarAt = (map: YAMLMap, path: readonly string[]): unknown => {
  const node = map.getIn(path, true);
  return isScalar(node) ? node.value : node;
};

const asText = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** The declared keys in this holder: undefined when its repository (or reference) key is absent here. */
function declaredSpot(holder: ValuesHolder, keys: HelmValueKeys, file: string): ImageSpot | undefined {
  const main = keys.reference ?? keys.repository ?? '';
  const held = scalarAt(holder.map, splitPath(main));
  if (held === undefined) return undefined;
  const old: ImageSpot['old'] = {};
  for (const [field, path] of Object.entries(keys) as Array<[keyof HelmValueKeys, string]>) {
    const value = scalarAt(holder.map, splitPath(path));
    if (value === undefined || value === null) {
      if (field === 'digest' || field === 'tag') continue;
      throw new ConfigurationError(`${holder.label}: ${path} is not set, though helm-values names it for ${field}`, {
        file,
      });
    }
    const shown = asText(value);
    if (shown === undefined) {
      throw new ConfigurationError(
        `${holder.label}: ${path} holds a ${typeof value === 'object' ? 'mapping or list' : typeof value}, not an image ${field}`,
        { file },
      );
    }
    old[field] = shown;
  }
  if ((old.repository ?? old.reference ?? '') === '') {
    throw new ConfigurationError(
      `${holder.label}: ${main} is empty: it held no image before, so nothing says it is the chart's image`,
      { file },
    );
  }
  return { keys, old };
}

/**
 * Without declared keys: the one place holding an image whose name ends in the argument's image name, a
 * map with `repository` (and `tag`, `digest`, `registry` beside it) or a string at a key `image`.
 */
function discoverSpot(holder: ValuesHolder, argument: ImageEntry, file: string): ImageSpot | undefined {
  const suffix = lastSegment(
    argument.newName !== undefined && argument.newName !== KEEP ? argument.newName : argument.name,
  );
  const found: ImageSpot[] = [];
  const visit = (node: unknown, path: string[]): void => {
    if (!isMap(node)) return;
    const repository = asText(scalarAt(node, ['repository']));
    if (repository !== undefined && lastSegment(splitImageReference(repository).name) === suffix) {
      const keys: HelmValueKeys = { repository: [...path, 'repository'].join('.') };
      for (const field of ['registry', 'tag', 'digest'] as const) {
        if (node.has(field)) keys[field] = [...path, field].join('.');
      }
      found.push({ keys, old: {} });
    }
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      const value = asText(isScalar(pair.value) ? pair.value.value : undefined);
      if (key === 'image' && value !== undefined && lastSegment(splitImageReference(value).name) === suffix) {
        found.push({ keys: { reference: [...path, key].join('.') }, old: {} });
      }
      visit(pair.value, [...path, key]);
    }
  };
  visit(holder.map, []);
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    const listing = found.map((spot) => spot.keys.reference ?? spot.keys.repository).join(', ');
    throw new ConfigurationError(
      `${holder.label}: several keys hold an image ending in /${suffix} (${escapeUntrusted(listing)}): ` +
        'say which in the service manifest (helm-values: {repository: …, tag: …})',
      { file },
    );
  }
  const [spot] = found as [ImageSpot];
  return declaredSpot(holder, spot.keys, file);
}

const compose = (values: ImageSpot['old']): string => {
  if (values.reference !== undefined) return values.reference;
  const registry = values.registry ? `${values.registry}/` : '';
  const tag = values.tag ? `:${values.tag}` : '';
  const digest = values.digest ? `@${values.digest}` : '';
  return `${registry}${values.repository ?? ''}${tag}${digest}`;
};

/** The values to write for one image, and the change as the summary and previous-images tell it. */
function planImage(
  holder: ValuesHolder,
  spot: ImageSpot,
  argument: ImageEntry,
  file: string,
): { writes: Write[]; change: HelmImageChange } {
  const { keys, old } = spot;
  const next = nextValues(holder, spot, argument, file);
  const writes: Write[] = [];
  for (const [field, path] of Object.entries(keys) as Array<[keyof HelmValueKeys, string]>) {
    const value = next[field] ?? '';
    if (value !== (old[field] ?? '') && !(value === '' && old[field] === undefined)) {
      writes.push({ path: splitPath(path), value });
    }
  }
  const before = compose(old);
  const after = compose(next);
  const renderer = holder.controller === '' ? 'Helm' : holder.controller;
  const note =
    `${holder.label}: ${Object.values(keys).join(', ')} held ${before} (checked); ${renderer} renders the chart ` +
    `with ${after} where its templates read these keys (not rendered here: no Helm binary)`;
  return { writes, change: { name: argument.name, before: { name: before }, after: { name: after }, note } };
}

/** What the keys hold after the edit: the argument's name, tag and digest, as the keys the chart reads can carry them. */
function nextValues(
  holder: ValuesHolder,
  { keys, old }: ImageSpot,
  argument: ImageEntry,
  file: string,
): ImageSpot['old'] {
  const given = (value: string | undefined): string | undefined => (value === KEEP ? undefined : value);
  const name = given(argument.newName) ?? argument.name;
  const tag = given(argument.newTag);
  const digest = given(argument.digest);
  if (keys.reference !== undefined) {
    const keptTag = tag ?? (digest === undefined ? splitImageReference(old.reference ?? '').tag : '');
    return { reference: `${name}${keptTag ? `:${keptTag}` : ''}${digest ? `@${digest}` : ''}` };
  }
  const next: ImageSpot['old'] = { ...old, repository: name };
  if (keys.registry !== undefined) {
    const { host, path } = splitImageName(name);
    next.registry = host === '' ? 'docker.io' : host;
    next.repository = path;
  }
  if (keys.digest !== undefined) {
    if (digest !== undefined) next.digest = digest;
    else if (tag !== undefined) next.digest = ''; // an old digest would pin the old image over the new tag
    if (tag !== undefined) next.tag = tag;
  } else if (digest !== undefined) {
    // No digest key: the tag carries it (`v1.2@sha256:…`), which the chart renders as repository:tag@digest.
    const base = tag ?? splitImageReference(`x:${old.tag ?? ''}`).tag;
    if (keys.tag === undefined || base === '') {
      throw new ConfigurationError(
        `${holder.label}: the chart reads no digest key and ${keys.tag ?? 'no tag key'} holds no tag to pin it to: ` +
          'declare helm-values digest (the key the chart reads), or deploy by tag',
        { file },
      );
    }
    next.tag = `${base}@${digest}`;
  } else if (tag !== undefined) {
    if (keys.tag === undefined) {
      throw new ConfigurationError(`${holder.label}: no tag key to write ${tag} to: declare helm-values tag`, { file });
    }
    next.tag = tag;
  }
  return next;
}

/** An Argo CD parameter of the same name overrides the values: the edit would change nothing that renders. */
function refuseOverriddenKeys(holder: ValuesHolder, writes: readonly Write[], file: string): void {
  const overridden = writes.map((write) => write.path.join('.')).find((key) => holder.parameters.includes(key));
  if (overridden !== undefined) {
    throw new ConfigurationError(
      `${holder.label}: helm.parameters sets ${overridden}, which overrides the values: remove the parameter ` +
        'or write the image there',
      { file },
    );
  }
}

interface Splice {
  start: number;
  end: number;
  text: string;
}

/** The splice that writes one value: over the old scalar, or a new key in its parent mapping. */
function directSplice(text: string, map: YAMLMap, write: Write, file: string): Splice {
  const node = map.getIn(write.path, true);
  if (isScalar(node) && node.range) {
    return { start: node.range[0], end: node.range[1], text: scalarText(write.value, node.type) };
  }
  const key = write.path[write.path.length - 1] ?? '';
  const parentPath = write.path.slice(0, -1);
  const parent = parentPath.length === 0 ? map : map.getIn(parentPath, true);
  if (!isMap(parent) || !parent.range) {
    throw new ConfigurationError(`${formatYamlPath(write.path)} cannot be added: its parent is not a mapping`, {
      file,
    });
  }
  const entry = `${key}: ${scalarText(write.value, 'PLAIN')}`;
  if (parent.flow) {
    const close = text.lastIndexOf('}', parent.range[1]);
    return { start: close, end: close, text: `, ${entry}` };
  }
  // After the line of the last scalar of the mapping (the tag, usually), at its indentation.
  const last = [...parent.items].reverse().find((pair) => isScalar(pair.value) && pair.value.range);
  const anchor = last ?? parent.items[0];
  const keyStart = isScalar(anchor?.key) ? anchor.key.range?.[0] : undefined;
  if (keyStart === undefined)
    throw new ConfigurationError(`${formatYamlPath(write.path)} cannot be added here`, { file });
  const indent = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
  const valueEnd = last !== undefined && isScalar(last.value) && last.value.range ? last.value.range[1] : keyStart;
  const lineEnd = text.indexOf('\n', valueEnd);
  const at = lineEnd === -1 ? text.length : lineEnd + 1;
  return { start: at, end: at, text: `${lineEnd === -1 ? '\n' : ''}${' '.repeat(indent)}${entry}\n` };
}

/** Writes inside Argo CD's `values` string: the inner text is edited, then the string is written back as it was written. */
function embeddedSplice(
  text: string,
  map: YAMLMap,
  embedded: { scalar: Scalar; text: string },
  writes: readonly Write[],
  file: string,
): Splice {
  const inner = applySplices(
    embedded.text,
    writes.map((write) => directSplice(embedded.text, map, write, file)),
  );
  const range = embedded.scalar.range ?? [0, 0, 0];
  const source = text.slice(range[0], range[1]);
  if (embedded.scalar.type !== 'BLOCK_LITERAL' && embedded.scalar.type !== 'BLOCK_FOLDED') {
    return { start: range[0], end: range[1], text: JSON.stringify(inner) };
  }
  // A folded block would join the lines of YAML written back into it: it is written back literal.
  const header = source.slice(0, source.indexOf('\n')).replace('>', '|');
  const indent = /\n( +)\S/.exec(source)?.[1] ?? '  ';
  const lines = inner.split('\n');
  if (inner.endsWith('\n')) lines.pop();
  const body = lines.map((line) => (line === '' ? '' : `${indent}${line}`)).join('\n');
  return { start: range[0], end: range[1], text: `${header}\n${body}${source.endsWith('\n') ? '\n' : ''}` };
}

/** A scalar written in the style the old one had; plain only when YAML reads it back as the same string. */
function scalarText(value: string, type: string | undefined): string {
  if (type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  if (
    type === 'PLAIN' &&
    /^[A-Za-z_/][\w./@:+-]*$/.test(value) &&
    !/^(?:true|false|null|yes|no|on|off|~)$/i.test(value)
  ) {
    return value;
  }
  return JSON.stringify(value);
}

function applySplices(text: string, splices: readonly Splice[]): string {
  const ordered = [...splices].sort((left, right) => right.start - left.start);
  let result = text;
  for (const splice of ordered) result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
  return result;
}
