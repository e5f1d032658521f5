import { SEVERITIES } from './severity.ts';

export interface ScanRequest {
  /** What to scan: a registry image, or a local OCI image layout or tarball (an absolute path). */
  target: { image: string } | { input: string };
  reportPath: string;
  cacheDir: string;
}

/**
 * `trivy image` as an argument vector (`--input PATH` for a local layout or tarball). Every severity and status is asked for: the gate decides, and the
 * report keeps everything. Trivy runs in an empty directory, so a `trivy.yaml` or `.trivyignore` in the
 * repository cannot filter findings before the gate sees them.
 */
export function scanArguments(request: ScanRequest): string[] {
  return [
    'image',
    '--format',
    'json',
    '--output',
    request.reportPath,
    '--cache-dir',
    request.cacheDir,
    '--scanners',
    'vuln',
    '--severity',
    [...SEVERITIES].reverse().join(','),
    '--no-progress',
    ...('image' in request.target ? [request.target.image] : ['--input', request.target.input]),
  ];
}
