// trivy-gate's inputs, read and checked before anything happens.
import { ConfigurationError, type InputParser } from '@shiprail/core';
import { DEFAULT_DOWNLOAD_URL, PINNED_TRIVY_VERSION, TRIVY_RELEASE_SHA256 } from './install.ts';
import { parseSeverityList, type Severity } from './severity.ts';

export const DEFAULT_IGNORE_FILE = '.trivyignore';

export interface TrivyGateInputs {
  image: string;
  /** An OCI image layout directory or an image tarball to scan; checked against the workspace later. */
  input: string;
  report: string;
  'trivy-version': string;
  'trivy-download-url': string;
  'cache-dir': string;
  severity: Set<Severity>;
  'ignore-unfixed': boolean;
  'ignore-file': string;
  'sarif-file': string;
  fail: boolean;
}

/** Reads and checks every input before anything happens. */
export function parseInputs(parser: InputParser): TrivyGateInputs {
  const image = parser.string('image');
  const input = parser.string('input');
  const report = parser.string('report');
  const version = parser.string('trivy-version', PINNED_TRIVY_VERSION).replace(/^v/, '');
  const downloadUrl = parser.string('trivy-download-url', DEFAULT_DOWNLOAD_URL);
  const cacheDir = parser.string('cache-dir', '.cache/trivy');
  const severity = parseSeverityList(parser.string('severity', 'CRITICAL,HIGH'), 'severity');
  const ignoreUnfixed = parser.boolean('ignore-unfixed', true);
  const ignoreFile = parser.string('ignore-file', DEFAULT_IGNORE_FILE);
  const sarifFile = parser.string('sarif-file');
  const fail = parser.boolean('fail', true);

  const given = (['image', 'input', 'report'] as const).filter((name) => ({ image, input, report })[name] !== '');
  if (given.length === 0) {
    throw new ConfigurationError(
      'give `image` (a reference to scan, ideally repo@digest), `input` (an OCI image layout or image tarball to scan) or `report` (a Trivy JSON report)',
      { input: 'image' },
    );
  }
  if (given.length > 1) {
    throw new ConfigurationError(
      `give one of \`image\`, \`input\` or \`report\`, not ${given.map((name) => `\`${name}\``).join(' and ')}`,
      { input: given[1] ?? 'image' },
    );
  }
  if (/\s/.test(image) || image.startsWith('-')) {
    throw new ConfigurationError(`'${image}' is not an image reference like ghcr.io/acme/api@sha256:…`, {
      input: 'image',
    });
  }
  if (TRIVY_RELEASE_SHA256[version] === undefined) {
    throw new ConfigurationError(
      `no SHA-256 sums are pinned for Trivy '${version}': use one of ${Object.keys(TRIVY_RELEASE_SHA256).join(', ')}, ` +
        'or run your own Trivy and pass its JSON as `report`',
      { input: 'trivy-version' },
    );
  }
  if (!/^https?:\/\/[^\s]+$/.test(downloadUrl)) {
    throw new ConfigurationError(`expected an http(s) URL, got '${downloadUrl}'`, { input: 'trivy-download-url' });
  }
  return {
    image,
    input,
    report,
    'trivy-version': version,
    'trivy-download-url': downloadUrl,
    'cache-dir': cacheDir,
    severity,
    'ignore-unfixed': ignoreUnfixed,
    'ignore-file': ignoreFile,
    'sarif-file': sarifFile,
    fail,
  };
}
