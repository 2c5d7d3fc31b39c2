/**
 * A browser's view of the dashboard without a browser: cookies kept by hand, forms posted as
 * application/x-www-form-urlencoded, redirects not followed (tests look at them).
 */
import assert from 'node:assert/strict';

export interface Page {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export interface DashboardClient {
  cookie: string;
  get(path: string): Promise<Page>;
  /** Posts a form; the session's CSRF token is added unless `csrf` says otherwise. */
  post(path: string, fields: Record<string, string>, opts?: { csrf?: string | false; origin?: string }): Promise<Page>;
  /** The CSRF token in the last page that carried one (every signed-in page does). */
  csrf(): Promise<string>;
}

export function hiddenValue(html: string, name: string): string | undefined {
  return html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];
}

export function setCookies(headers: Headers): string[] {
  return headers.getSetCookie();
}

async function fetchPage(url: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
}

/** Opens the sign-in page and posts `secret` with its token; returns the raw answer. */
export async function attemptSignIn(base: string, secret: string, opts: { next?: string; headers?: Record<string, string> } = {}): Promise<Page> {
  const form = await fetchPage(`${base}/dashboard/login${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ''}`, { headers: opts.headers });
  const loginCookie = setCookies(form.headers).find((c) => c.startsWith('oc_dashboard_login='))!.split(';')[0]!;
  const body = new URLSearchParams({ _csrf: hiddenValue(form.text, '_csrf')!, secret, next: hiddenValue(form.text, 'next') ?? '/dashboard' });
  return fetchPage(`${base}/dashboard/login`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: loginCookie, ...opts.headers },
  });
}

export async function signIn(base: string, secret: string): Promise<DashboardClient> {
  const res = await attemptSignIn(base, secret);
  assert.equal(res.status, 303, `sign-in failed: ${res.status} ${res.text.slice(0, 300)}`);
  const cookie = setCookies(res.headers).filter((c) => /^oc_dashboard(_mode)?=/.test(c)).map((c) => c.split(';')[0]).join('; ');
  let lastCsrf: string | undefined;
  const client: DashboardClient = {
    cookie,
    async get(path) {
      const page = await fetchPage(base + path, { headers: { Cookie: cookie } });
      lastCsrf = hiddenValue(page.text, '_csrf') ?? lastCsrf;
      return page;
    },
    async post(path, fields, opts = {}) {
      const csrf = opts.csrf === false ? undefined : (opts.csrf ?? (await client.csrf()));
      const body = new URLSearchParams({ ...fields, ...(csrf ? { _csrf: csrf } : {}) });
      const page = await fetchPage(base + path, {
        method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, ...(opts.origin ? { Origin: opts.origin } : {}) },
      });
      lastCsrf = hiddenValue(page.text, '_csrf') ?? lastCsrf;
      return page;
    },
    async csrf() {
      if (!lastCsrf) await client.get('/dashboard/payments');
      assert.ok(lastCsrf, 'no CSRF token on the signed-in pages');
      return lastCsrf;
    },
  };
  return client;
}
