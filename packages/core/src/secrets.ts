// Secrets are masked before first use (the runner hides them in the log) and redacted from everything the
// runner does not mask: outputs, summaries, reports, and server answers put into errors.

export const REDACTED = '***';

// `scheme://user:password@` or `scheme://user@` at the start of a URL's authority. Not an image named by
// digest (`docker://golang@sha256:…`, as buildah writes a short name): no host's port is a digest.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]+)@(?![a-z0-9]+:[0-9a-f]{32,})/gi;

export const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

export interface UrlUserinfo {
  /** As written in the URL (percent-encoded). */
  user: string;
  password: string;
}

/** The `user:password@` parts of every URL in a text, as written. */
export function urlUserinfo(text: string): UrlUserinfo[] {
  return [...text.matchAll(URL_USERINFO)].map((match) => {
    const [user = '', password = ''] = (match[2] ?? '').split(/:(.*)/s);
    return { user, password };
  });
}

/** The user name and password embedded in a URL, raw and decoded, to be masked before the URL is used. */
export function urlCredentials(url: string): string[] {
  const found = new Set<string>();
  for (const { user, password } of urlUserinfo(url)) {
    for (const part of [user, password]) {
      if (part === '') continue;
      found.add(part);
      found.add(safeDecode(part));
    }
  }
  return [...found];
}

/** `https://user:pass@host/x` becomes `https://***@host/x`, anywhere in a text. */
export function stripUrlCredentials(text: string): string {
  // Outputs of megabytes hold no URL more often than not: one search spares trying the pattern at every word.
  return text.includes('://') ? text.replace(URL_USERINFO, `$1${REDACTED}@`) : text;
}

/**
 * Holds the secrets of one step and removes them from any text: each secret as given, URL-encoded and
 * JSON-escaped (the forms a server echo or a report takes), and credentials embedded in URLs.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    // Very short values would redact ordinary words; the runner does not mask them either.
    if (secret.length < 3) return;
    for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
      this.secrets.add(form);
    }
  }

  redact(text: string): string {
    let result = stripUrlCredentials(text);
    // Longest first, so that a secret containing another is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return result;
  }
}
