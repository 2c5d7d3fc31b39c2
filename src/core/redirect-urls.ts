/**
 * Where a merchant may send the shopper: `return_url`, `success_url`, `cancel_url`. The wallet,
 * our return route and the hosted checkout page all follow these URLs in the shopper's browser,
 * so only http and https are taken: a `javascript:` or `data:` URL would run script there, and
 * `file:`, `ftp:` or an app's own scheme leads nowhere a payment page should.
 */

/** The seeds' checkout URLs without a scheme ("www.wooshpay.com"), which checkout follows as https. */
const BARE_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)+([/:?#]|$)/i;

/**
 * Why `url` may not be a redirect target; undefined when it may. `bareHost` also takes the seeds'
 * scheme-less form, for URLs only the hosted checkout follows (it adds https://).
 */
export function redirectUrlProblem(url: string, opts: { bareHost: boolean }): string | undefined {
  const expected = opts.bareHost
    ? 'must be an http or https URL (for example https://shop.example/done) or a bare host such as www.shop.example'
    : 'must be an absolute http or https URL (for example https://shop.example/return)';
  // URL parsers and browsers drop or rewrite these silently, which is how " JavaScript:" or
  // "java\tscript:" hide a scheme; a real URL percent-encodes them anyway.
  if (/[\u0000-\u0020\u007f]/.test(url)) return `${expected}, without spaces or control characters (percent-encode them)`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `${expected}, not ${parsed.protocol}`;
    return parsed.hostname ? undefined : expected;
  }
  if (opts.bareHost && BARE_HOST.test(url)) {
    try {
      return new URL(`https://${url}`).hostname ? undefined : expected;
    } catch {
      return expected;
    }
  }
  return expected;
}
