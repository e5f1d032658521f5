import { SEVERITIES } from './severity.ts';

export interface ScanRequest {
  image: string;
  reportPath: string;
  cacheDir: string;
}

/**
 * `trivy image` as an argument vector. Every severity and status is asked for: the gate decides, and the
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
    request.image,
  ];
}
