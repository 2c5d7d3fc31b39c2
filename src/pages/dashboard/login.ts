/** The sign-in page and the dashboard's refusals (a forged form, too many attempts). */
import { esc } from '../html.js';
import { barePage } from './layout.js';

export function loginPage(o: { nonce: string; csrf: string; next: string; error?: string }): string {
  return barePage({
    nonce: o.nonce,
    title: 'Sign in',
    body: `<div class="card login stack">
<h1>Sign in to the dashboard</h1>
<p class="muted">Use the dashboard password printed when the gateway first started, or the account's secret key (<code>sk_test_…</code>).</p>
${o.error ? `<div class="notice notice-error" role="alert" id="login-error">${esc(o.error)}</div>` : ''}
<form method="post" action="/dashboard/login" class="stack">
<input type="hidden" name="_csrf" value="${esc(o.csrf)}"><input type="hidden" name="next" value="${esc(o.next)}">
<div class="field"><label for="secret">Password or secret key</label>
<input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus${o.error ? ' aria-invalid="true" aria-describedby="login-error"' : ''}></div>
<button type="submit" class="btn btn-primary">Sign in</button>
</form>
<p class="muted">Lost the password? Set a new one on the gateway's machine: <code>npm run cli -- dashboard password</code>.</p>
</div>`,
  });
}

export function forbiddenPage(nonce: string, message = 'This form has expired or did not come from this dashboard, so nothing was done. Go back, reload the page and try again.', title = 'Form refused'): string {
  return barePage({ nonce, title, body: `<div class="card stack"><h1>${esc(title)}</h1><p>${esc(message)}</p><p><a href="/dashboard">Back to the dashboard</a></p></div>` });
}

export function tooManyAttemptsPage(nonce: string, minutes: number): string {
  return barePage({
    nonce,
    title: 'Too many attempts',
    body: `<div class="card stack"><h1>Too many sign-in attempts</h1><p>Sign-ins from this address are paused for about ${minutes} minute${minutes === 1 ? '' : 's'}. Try again then.</p></div>`,
  });
}
