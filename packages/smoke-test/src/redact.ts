// Secrets (the headers input, Authorization and Cookie values, credentials in URLs) are masked on the
// runner before first use and cut out of everything this action writes: results, summary, JUnit, log.
import { safeDecode, urlUserinfo } from '@shiprail/core';

/** Headers whose values are credentials wherever they appear. */
export const SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

export const isSensitiveHeader = (name: string): boolean => SENSITIVE_HEADERS.includes(name.toLowerCase());

/** Shorter values are not credentials, and hiding them would garble every line they occur in. */
export const MIN_SECRET_LENGTH = 4;

/** What a run needs of the step's secrets; the Runtime is one. */
export interface Secrets {
  mask(secret: string): void;
  /** The text with every masked secret, and credentials in URLs, replaced by `***`. */
  redact(text: string): string;
}

/** The secrets a header value holds: the whole value, the credential after an auth scheme, each cookie value. */
export function headerSecrets(value: string): string[] {
  const found = [value];
  const scheme = /^[A-Za-z][A-Za-z0-9-]*\s+(.+)$/.exec(value.trim());
  if (scheme?.[1] !== undefined) found.push(scheme[1]);
  for (const pair of value.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0) found.push(pair.slice(equals + 1));
  }
  return [...new Set(found.map((secret) => secret.trim()))].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
}

export function maskHeaderValue(secrets: Secrets, value: string): void {
  for (const secret of headerSecrets(value)) secrets.mask(secret);
}

/**
 * The `Authorization: Basic` values that the credentials in a text's URLs become when sent: a server that
 * echoes request headers would otherwise show the password, base64-encoded.
 */
export function basicCredentials(text: string): string[] {
  const found = new Set<string>();
  for (const { user, password } of urlUserinfo(text)) {
    const encoded = Buffer.from(`${safeDecode(user)}:${safeDecode(password)}`).toString('base64');
    found.add(`Basic ${encoded}`);
    found.add(encoded);
  }
  return [...found];
}
