// Secrets (the headers input, Authorization and Cookie values) are masked on the runner and also cut
// out of everything this action writes itself: results, summary, JUnit report, log lines.

/** Headers whose values are credentials wherever they appear. */
export const SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

export const isSensitiveHeader = (name: string): boolean => SENSITIVE_HEADERS.includes(name.toLowerCase());

/** Shorter values are not credentials, and hiding them would garble every line they occur in. */
export const MIN_SECRET_LENGTH = 4;

export const REDACTED = '***';

export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly onAdd: (secret: string) => void;

  constructor(onAdd: (secret: string) => void = () => undefined) {
    this.onAdd = onAdd;
  }

  /** Registers a header value: the whole value, and the credential after an auth scheme (`Bearer x`). */
  addHeaderValue(value: string): void {
    this.add(value);
    const scheme = /^[A-Za-z][A-Za-z0-9-]*\s+(.+)$/.exec(value.trim());
    if (scheme?.[1] !== undefined) this.add(scheme[1]);
    // Cookie pairs: each value on its own.
    for (const pair of value.split(';')) {
      const equals = pair.indexOf('=');
      if (equals > 0) this.add(pair.slice(equals + 1));
    }
  }

  add(secret: string): void {
    const value = secret.trim();
    if (value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.onAdd(value);
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so that a secret containing another is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length))
      result = result.split(secret).join(REDACTED);
    return result;
  }
}
