/**
 * The page a browser gets for a path the gateway does not serve. (What `/` used to show — the
 * API's URL, the keys, a first request — is on the dashboard's Developers page.)
 */
export function notFoundPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Not found – OpenCashier</title>
<style>body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f9fc}main{max-width:560px;margin:0 auto;padding:64px 20px}a{color:#0b57d0}</style>
</head><body><main><h1>Page not found</h1><p>This gateway has no page here. Its home page is <a href="/">/</a>; the API lives under <code>/v1</code>.</p></main></body></html>`;
}
