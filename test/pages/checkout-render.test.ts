/**
 * The hosted checkout page as rendered HTML (every state, device and language), its strings, its
 * money formatting and locale choice; then, when Chromium is installed, its script in a real
 * browser under the production CSP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCALES, MESSAGES, intlTag, placeholders, resolveLocale, t, type MessageKey } from '../../src/pages/checkout/i18n.js';
import { formatMoney, renderCheckoutPage } from '../../src/pages/checkout/render.js';
import { CHECKOUT_CSS } from '../../src/pages/checkout/styles.js';
import type { CheckoutView, CheckoutWalletView, Locale } from '../../src/pages/checkout/view.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';

const NONCE = 'n0nce-Test_123';
const QR_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges"><path fill="#fff" d="M0 0h29v29H0z"/><path stroke="#000" d="M1 1.5h7"/></svg>';
const WALLET_URL = 'https://open-sea.alipayplus.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=2816660400';

const PHP_WALLETS: CheckoutWalletView[] = [
  { code: 'GCASH', name: 'GCash', available: false, minimum: 100000 },
  { code: 'BPI', name: 'BPI', available: true, minimum: 1 },
  { code: 'AKULAKU_PAYLATER_PH', name: 'Akulaku PayLater', available: true, minimum: 1 },
];

function view(over: Partial<CheckoutView> = {}): CheckoutView {
  return {
    sessionId: 'cs_test_1',
    merchantName: 'Lotus Tea House',
    livemode: false,
    locale: 'en',
    device: 'desktop',
    status: 'open',
    paymentStatus: 'unpaid',
    currency: 'CNY',
    amountSubtotal: 36800,
    amountTotal: 36800,
    lineItems: [
      { name: 'Pineapple cakes', description: 'Box of 12', quantity: 2, unitAmount: 12800, amountTotal: 25600, imageUrl: 'https://cdn.example/cake.jpg' },
      { name: 'Oolong tea', description: null, quantity: 1, unitAmount: 11200, amountTotal: 11200, imageUrl: null },
    ],
    methods: ['alipay'],
    wallets: [],
    customerEmail: null,
    expiresAt: 1_900_000_000_000,
    successUrl: 'https://shop.example/thanks',
    cancelUrl: 'https://shop.example/cart',
    lastError: null,
    qr: null,
    urls: { pay: '/c/cs_test_1/pay', status: '/c/cs_test_1/status' },
    ...over,
  };
}

function plus(over: Partial<CheckoutView> = {}): CheckoutView {
  return view({ methods: ['alipayplus'], currency: 'PHP', amountSubtotal: 54000, amountTotal: 54000, wallets: PHP_WALLETS,
    lineItems: [{ name: 'Ensaymada', description: null, quantity: 3, unitAmount: 18000, amountTotal: 54000, imageUrl: null }], ...over });
}

const render = (v: CheckoutView) => renderCheckoutPage(v, { nonce: NONCE });
/** Intl separates some symbols with no-break spaces ("RM 45.90"); compare them as plain spaces. */
const spaces = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');
const money = (amount: number, currency: string, locale: Locale) => spaces(formatMoney(amount, currency, locale));

// ---- a small HTML reader: enough for markup we generate ourselves ----

interface Tag { name: string; attrs: Map<string, string>; raw: string; index: number }

/** Opening tags outside <script> and <style> bodies, attributes parsed (values may hold spaces and '='). */
function tags(html: string): Tag[] {
  const body = html.replace(/(<(script|style)\b[^>]*>)[\s\S]*?(<\/\2>)/gi, '$1$3');
  const out: Tag[] = [];
  for (const m of body.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*\/?>/g)) {
    const attrs = new Map<string, string>();
    for (const a of (m[2] ?? '').matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
      attrs.set(a[1]!.toLowerCase(), a[2] ?? a[3] ?? a[4] ?? '');
    }
    out.push({ name: m[1]!.toLowerCase(), attrs, raw: m[0], index: m.index });
  }
  return out;
}
const find = (html: string, name: string, pred: (t: Tag) => boolean = () => true) => tags(html).filter((t) => t.name === name && pred(t));
const byId = (html: string, id: string) => tags(html).find((t) => t.attrs.get('id') === id);
const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** Visible text of the page, tags stripped and entities decoded (scripts and styles dropped). */
const text = (html: string) => spaces(decode(html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' '))).replace(/\s+/g, ' ');
const walletRadios = (html: string) => find(html, 'input', (t) => t.attrs.get('type') === 'radio');
const config = (html: string) => JSON.parse(/<script type="application\/json" id="checkout-config"[^>]*>([\s\S]*?)<\/script>/.exec(html)![1]!);

function assertCspSafe(html: string): void {
  for (const m of html.matchAll(/<(script|style)\b([^>]*)>/gi)) {
    assert.match(m[2]!, new RegExp(`\\snonce="${NONCE}"`), `every <${m[1]}> carries the nonce: ${m[0]}`);
  }
  for (const tag of tags(html)) {
    for (const name of tag.attrs.keys()) {
      assert.ok(!/^on/.test(name), `no inline event handler: ${tag.raw}`);
      assert.notEqual(name, 'style', `no style attribute: ${tag.raw}`);
    }
  }
  assert.doesNotMatch(html, /<link\b(?![^>]*href="data:)/i, 'no external stylesheet or icon');
  assert.doesNotMatch(html, /<script\b[^>]*\ssrc=/i, 'no external script');
}

function assertLabelled(html: string): void {
  const labels = new Set(find(html, 'label').map((l) => l.attrs.get('for')));
  for (const input of find(html, 'input', (t) => t.attrs.get('type') !== 'hidden')) {
    const id = input.attrs.get('id');
    assert.ok(id && labels.has(id), `input has a label: ${input.raw}`);
  }
}

function assertHeadingsInOrder(html: string): void {
  const levels = [...html.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));
  assert.equal(levels[0], 1, 'the first heading is the h1');
  assert.equal(levels.filter((l) => l === 1).length, 1, 'one h1');
  for (let i = 1; i < levels.length; i++) assert.ok(levels[i]! <= levels[i - 1]! + 1, `no heading level skipped: ${levels.join(',')}`);
}

function assertWellFormedPage(html: string, locale: Locale): void {
  assert.match(html, /^<!doctype html>\n<html lang="([^"]+)">/);
  assert.equal(/<html lang="([^"]+)">/.exec(html)![1], locale);
  assert.equal(find(html, 'main').length, 1, 'one <main>');
  assertCspSafe(html);
  assertLabelled(html);
  assertHeadingsInOrder(html);
  const ids = tags(html).map((t) => t.attrs.get('id')).filter(Boolean);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
}

// ---- strings ----

describe('checkout strings', () => {
  const keys = Object.keys(MESSAGES.en) as MessageKey[];

  test('every locale has exactly the English keys, none empty, with the same placeholders', () => {
    assert.equal(LOCALES.length, 10);
    for (const locale of LOCALES) {
      const messages = MESSAGES[locale];
      assert.ok(messages, `${locale} has messages`);
      assert.deepEqual(Object.keys(messages).sort(), [...keys].sort(), `${locale} has every key and no other`);
      for (const key of keys) {
        assert.ok(messages[key].trim().length > 0, `${locale}.${key} is not empty`);
        assert.deepEqual(placeholders(messages[key]).sort(), placeholders(MESSAGES.en[key]).sort(), `${locale}.${key} fills the same placeholders as English`);
      }
    }
  });

  test('the other languages are translations, not English left in place', () => {
    for (const locale of LOCALES.filter((l) => l !== 'en')) {
      const same = keys.filter((k) => MESSAGES[locale][k] === MESSAGES.en[k]);
      // Brand words and loanwords (Subtotal, Email, Alipay) legitimately stay as they are.
      assert.ok(same.length <= 5, `${locale} leaves only a few strings in English: ${same.join(', ')}`);
    }
  });

  test('t fills placeholders, and Chinese spaces embedded Latin words but not Chinese ones', () => {
    assert.equal(t('en', 'payWith', { wallet: 'GCash' }), 'Pay with GCash');
    assert.equal(t('th', 'payWith', { wallet: 'Rabbit LINE Pay' }), 'ชำระด้วย Rabbit LINE Pay');
    assert.equal(t('zh-Hans', 'payWith', { wallet: 'GCash' }), '使用 GCash 付款');
    assert.equal(t('zh-Hans', 'payWith', { wallet: t('zh-Hans', 'alipay') }), '使用支付宝付款');
    assert.equal(t('zh-Hant', 'cancel', { merchant: 'Lotus' }), '取消並返回 Lotus');
    assert.equal(t('ja', 'payWith', { wallet: 'GCash' }), 'GCashで支払う');
    assert.equal(t('en', 'qty', { quantity: 3 }), 'Qty 3');
  });

  test('resolveLocale: the session locale wins unless null or auto; Stripe values map to ours', () => {
    const cases: [string | null | undefined, string | undefined, Locale][] = [
      ['ja', 'zh-CN', 'ja'],
      ['zh', undefined, 'zh-Hans'],
      ['zh-HK', 'en', 'zh-Hant'],
      ['zh-TW', undefined, 'zh-Hant'],
      ['fil', undefined, 'fil'],
      ['tl', undefined, 'fil'],
      ['es-419', undefined, 'es'],
      ['en-GB', 'th', 'en'],
      ['id', undefined, 'id'],
      ['auto', 'th-TH,th;q=0.9', 'th'],
      [null, 'nl-BE,nl;q=0.9,en;q=0.8', 'nl'],
      [undefined, 'ms-MY', 'ms'],
      // A language we don't speak falls through to the browser's.
      ['de', 'ja-JP', 'ja'],
    ];
    for (const [session, header, want] of cases) assert.equal(resolveLocale(session, header), want, `${session} / ${header}`);
  });

  test('resolveLocale: Accept-Language by q-value, Chinese by script and region, legacy codes', () => {
    const cases: [string | undefined, Locale][] = [
      ['zh-CN', 'zh-Hans'], ['zh-SG', 'zh-Hans'], ['zh-Hans', 'zh-Hans'], ['zh', 'zh-Hans'],
      ['zh-TW', 'zh-Hant'], ['zh-HK', 'zh-Hant'], ['zh-MO', 'zh-Hant'], ['zh-Hant', 'zh-Hant'], ['zh-Hant-CN', 'zh-Hant'], ['zh_TW', 'zh-Hant'],
      ['in', 'id'], ['in-ID', 'id'], ['ms-MY', 'ms'], ['nl-BE', 'nl'], ['fil-PH', 'fil'], ['es-MX', 'es'],
      ['de-DE,fr;q=0.9', 'en'], ['', 'en'], [undefined, 'en'], ['*', 'en'], ['garbage;;;,,', 'en'],
      ['en;q=0.5, th;q=0.9', 'th'],
      ['ja;q=0, ko, es;q=0.2', 'es'],
      ['fr-CH, fr;q=0.9, id;q=0.8, en;q=0.7', 'id'],
      ['en-US,en;q=0.9,zh-TW;q=0.8', 'en'],
    ];
    for (const [header, want] of cases) assert.equal(resolveLocale(null, header), want, String(header));
  });

  test('intlTag gives Intl a region where formatting depends on it', () => {
    assert.equal(intlTag('zh-Hans'), 'zh-CN');
    assert.equal(intlTag('fil'), 'fil-PH');
    for (const l of LOCALES) assert.doesNotThrow(() => new Intl.NumberFormat(intlTag(l)), l);
  });
});

describe('formatMoney', () => {
  test('minor units by the currency exponent, in the shopper’s language', () => {
    assert.equal(money(20, 'CNY', 'en'), 'CN¥0.20');
    assert.equal(money(36800, 'CNY', 'zh-Hans'), '¥368.00');
    assert.equal(money(1234567, 'JPY', 'ja'), '￥1,234,567');
    assert.equal(money(1234567, 'JPY', 'en'), '¥1,234,567');
    assert.equal(money(123450, 'THB', 'th'), '฿1,234.50');
    assert.equal(money(30000, 'PHP', 'fil'), '₱300.00');
    assert.equal(money(4590, 'MYR', 'ms'), 'RM 45.90');
    assert.equal(money(123450, 'EUR', 'nl'), '€ 1.234,50');
  });

  test('IDR is shown in whole rupiah, unless an amount really has sen', () => {
    assert.equal(money(3000000, 'IDR', 'en'), 'IDR 30,000');
    assert.equal(money(3000000, 'IDR', 'id'), 'Rp 30.000');
    assert.equal(money(12345, 'IDR', 'en'), 'IDR 123.45');
  });

  test('large amounts stay exact; unknown codes fall back to plain text', () => {
    assert.equal(money(123_456_789_012_345, "CNY", "en"), "CN¥1,234,567,890,123.45");
    assert.equal(money(150, 'cny', 'en'), 'CN¥1.50');
    assert.equal(money(150, 'C1', 'en'), 'C1 1.50');
  });
});

// ---- rendering ----

describe('checkout page: open, Alipay', () => {
  test('phone: one form posting method=alipay to the pay URL, a "Pay with Alipay" button, no QR box', () => {
    const html = render(view({ device: 'phone' }));
    assertWellFormedPage(html, 'en');
    const forms = find(html, 'form');
    assert.equal(forms.length, 1);
    assert.equal(forms[0]!.attrs.get('method'), 'post');
    assert.equal(forms[0]!.attrs.get('action'), '/c/cs_test_1/pay');
    assert.ok(find(html, 'input', (t) => t.attrs.get('name') === 'method' && t.attrs.get('value') === 'alipay').length === 1);
    assert.match(html, /<button type="submit" class="btn btn-primary" data-pay-button>Pay with Alipay<\/button>/);
    assert.equal(byId(html, 'qr-box'), undefined, 'no QR on a phone');
    assert.equal(walletRadios(html).length, 0);
    assert.equal(config(html).autoStart, false);
    assert.equal(config(html).polling, false);
  });

  test('phone: a QR in the view is ignored (the wallet app opens instead)', () => {
    const html = render(view({ device: 'phone', qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipay', wallet: null } }));
    assert.equal(byId(html, 'qr-box'), undefined);
    assert.ok(!html.includes(QR_SVG));
  });

  test('desktop without a QR yet: the reserved box, fetched at once by script, "Show QR code" without it', () => {
    const html = render(view());
    assertWellFormedPage(html, 'en');
    const area = byId(html, 'qr-area')!;
    assert.equal(area.attrs.get('data-state'), 'empty');
    assert.ok(area.attrs.has('data-auto'), 'the script asks for the QR at once');
    assert.ok(byId(html, 'qr-box'));
    assert.match(html, /<button type="submit" class="btn btn-primary" data-pay-button>Show QR code<\/button>/);
    const form = find(html, 'form')[0]!;
    assert.ok(form.index < area.index, 'the "Show QR code" button is inside the pay form');
    assert.equal(config(html).autoStart, true);
    assert.equal(config(html).statusUrl, '/c/cs_test_1/status');
    const status = byId(html, 'qr-status')!;
    assert.equal(status.attrs.get('role'), 'status');
    assert.equal(status.attrs.get('aria-live'), 'polite');
  });

  test('desktop: the QR box has a fixed size in the stylesheet, so nothing moves when the code arrives', () => {
    const rule = /\.qr-box\{([^}]*)\}/.exec(CHECKOUT_CSS)![1]!;
    assert.match(rule, /(^|;)width:\d+px/);
    assert.match(rule, /(^|;)height:\d+px/);
    assert.match(CHECKOUT_CSS, /\.qr-code svg\{[^}]*width:\d+px;height:\d+px/);
    // The lines under the box are reserved too, the hidden fallback link included.
    assert.match(CHECKOUT_CSS, /\.qr-fallback\[hidden\]\{display:block!important;visibility:hidden\}/);
    for (const variant of [view(), view({ qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipay', wallet: null } }), plus()]) {
      const html = render(variant);
      assert.ok(byId(html, 'qr-box'), 'the box is in the first paint, with or without a code');
      assert.ok(byId(html, 'qr-caption') && byId(html, 'qr-fallback') && byId(html, 'qr-status'));
    }
  });

  test('desktop with a QR: the code, "Scan with the Alipay app", the wallet link, a polite "Waiting for payment…", polling', () => {
    const html = render(view({ qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipay', wallet: null } }));
    assertWellFormedPage(html, 'en');
    assert.equal(byId(html, 'qr-area')!.attrs.get('data-state'), 'ready');
    assert.ok(!byId(html, 'qr-area')!.attrs.has('data-auto'));
    assert.match(html, new RegExp(`<div id="qr-code" class="qr-code">${QR_SVG.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</div>`));
    assert.equal(byId(html, 'qr-box')!.attrs.get('role'), 'img');
    assert.equal(byId(html, 'qr-box')!.attrs.get('aria-label'), 'QR code to pay CN¥368.00 with Alipay');
    assert.match(html, /<p id="qr-caption"[^>]*>Scan with the Alipay app<\/p>/);
    assert.equal(byId(html, 'qr-link')!.attrs.get('href'), WALLET_URL);
    assert.ok(!byId(html, 'qr-fallback')!.attrs.has('hidden'));
    assert.match(text(html), /Open on this device/);
    assert.match(html, /<p id="qr-status" class="qr-status" role="status" aria-live="polite">Waiting for payment…<\/p>/);
    assert.equal(config(html).polling, true);
    assert.equal(config(html).autoStart, false);
  });

  test('lastError: an alert with the message, and the choice again ("Try again"), not fetched automatically', () => {
    const html = render(view({ lastError: 'The wallet declined the payment.' }));
    assertWellFormedPage(html, 'en');
    const alert = byId(html, 'pay-error')!;
    assert.equal(alert.attrs.get('role'), 'alert');
    assert.ok(!alert.attrs.has('hidden'));
    assert.match(text(html), /Your payment didn’t go through The wallet declined the payment\. Please try again\./);
    assert.match(html, /data-pay-button>Try again<\/button>/);
    assert.equal(config(html).autoStart, false, 'no new payment starts without the shopper asking');
    assert.equal(config(html).shownError, 'The wallet declined the payment.');

    const phone = render(view({ device: 'phone', lastError: 'Declined.' }));
    assert.match(text(phone), /Declined\./);
    assert.match(phone, /data-pay-button>Pay with Alipay<\/button>/);
  });

  test('without lastError the alert is an empty, hidden live region for the script', () => {
    const html = render(view());
    assert.ok(byId(html, 'pay-error')!.attrs.has('hidden'));
  });
});

describe('checkout page: open, Alipay+', () => {
  test('a fieldset of exactly the given wallets, in order; available ones required, others disabled with their minimum', () => {
    const html = render(plus({ device: 'phone' }));
    assertWellFormedPage(html, 'en');
    assert.match(html, /<fieldset class="wallets"><legend>Choose your wallet<\/legend>/);
    const radios = walletRadios(html);
    assert.deepEqual(radios.map((r) => r.attrs.get('value')), ['GCASH', 'BPI', 'AKULAKU_PAYLATER_PH']);
    assert.ok(radios.every((r) => r.attrs.get('name') === 'wallet'));
    const [gcash, bpi, akulaku] = radios;
    assert.ok(gcash!.attrs.has('disabled') && !gcash!.attrs.has('required'));
    assert.ok(bpi!.attrs.has('required') && !bpi!.attrs.has('disabled'));
    assert.ok(akulaku!.attrs.has('required'));
    assert.ok(!radios.some((r) => r.attrs.has('checked')), 'two wallets to choose from: none chosen for the shopper');
    const note = byId(html, gcash!.attrs.get('aria-describedby')!)!;
    assert.ok(note);
    assert.match(text(html), /GCash Minimum ₱1,000\.00/);
    assert.ok(find(html, 'input', (t) => t.attrs.get('name') === 'method' && t.attrs.get('value') === 'alipayplus').length === 1);
    assert.match(html, /data-pay-button>Pay with selected wallet<\/button>/);
    assert.equal(byId(html, 'qr-box'), undefined);
  });

  test('only the wallets in the view, whatever else serves the currency', () => {
    const html = render(plus({ wallets: [PHP_WALLETS[1]!] }));
    assert.deepEqual(walletRadios(html).map((r) => r.attrs.get('value')), ['BPI']);
    assert.doesNotMatch(text(html), /GCash|Akulaku/);
    // With one wallet to pick, it is picked, and the button says so.
    assert.ok(walletRadios(html)[0]!.attrs.has('checked'));
    assert.match(html, /data-pay-button>Pay with BPI<\/button>/);
  });

  test('each wallet radio carries the button label the script shows once it is chosen', () => {
    const html = render(plus());
    const labels = walletRadios(html).map((r) => r.attrs.get('data-pay-label'));
    assert.deepEqual(labels, ['Pay with GCash', 'Pay with BPI', 'Pay with Akulaku PayLater']);
    assert.deepEqual(walletRadios(html).map((r) => r.attrs.get('data-scan-label')), ['Scan with the GCash app', 'Scan with the BPI app', 'Scan with the Akulaku PayLater app']);
  });

  test('no wallet can take the amount: the pay button is disabled', () => {
    const html = render(plus({ wallets: [PHP_WALLETS[0]!] }));
    assert.match(html, /data-pay-button disabled>/);
  });

  test('desktop: an empty reserved QR box under the choices, then the chosen wallet’s QR', () => {
    const empty = render(plus());
    assertWellFormedPage(empty, 'en');
    assert.equal(byId(empty, 'qr-area')!.attrs.get('data-state'), 'empty');
    assert.ok(!byId(empty, 'qr-area')!.attrs.has('data-auto'), 'Alipay+ waits for the shopper’s choice');
    assert.equal(config(empty).autoStart, false);

    const html = render(plus({ qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipayplus', wallet: 'BPI' } }));
    assertWellFormedPage(html, 'en');
    assert.ok(html.includes(QR_SVG));
    assert.match(html, /<p id="qr-caption"[^>]*>Scan with the BPI app<\/p>/);
    assert.ok(walletRadios(html).find((r) => r.attrs.get('value') === 'BPI')!.attrs.has('checked'), 'the QR’s wallet stays chosen');
    assert.match(html, /data-pay-button>Pay with BPI<\/button>/);
    assert.equal(config(html).polling, true);
  });

  test('both methods: "Pay with Alipay", then "or", then the other wallets, each its own form', () => {
    const html = render(view({ methods: ['alipay', 'alipayplus'], currency: 'HKD', wallets: [{ code: 'ALIPAY_HK', name: 'AlipayHK', available: true, minimum: 1 }] }));
    assertWellFormedPage(html, 'en');
    const forms = find(html, 'form');
    assert.equal(forms.length, 2);
    assert.ok(forms.every((f) => f.attrs.get('action') === '/c/cs_test_1/pay'));
    assert.match(text(html), /Pay with Alipay or Pay with another wallet A AlipayHK Pay with AlipayHK/);
    assert.equal(config(html).autoStart, false, 'with a choice to make, nothing starts by itself');
    assert.equal(find(html, 'div', (t) => t.attrs.get('id') === 'qr-area').length, 1, 'one QR box for both');
  });
});

describe('checkout page: summary and chrome', () => {
  test('merchant, monogram, line items with quantities, unit and line amounts, images, subtotal, total, email', () => {
    const html = render(view({ customerEmail: 'mei@example.com' }));
    const s = text(html);
    assert.match(s, /L Lotus Tea House/);
    assert.match(s, /Pay Lotus Tea House CN¥368\.00/);
    assert.match(s, /Pineapple cakes Box of 12 Qty 2 · CN¥128\.00 each CN¥256\.00/);
    assert.match(s, /Oolong tea Qty 1 CN¥112\.00/);
    assert.match(s, /Subtotal CN¥368\.00 Total CN¥368\.00/);
    assert.match(s, /Email mei@example\.com/);
    const img = find(html, 'img')[0]!;
    assert.equal(img.attrs.get('src'), 'https://cdn.example/cake.jpg');
    assert.equal(img.attrs.get('alt'), '', 'the name beside it says what it is');
    assert.match(html, /<title>Pay Lotus Tea House · CN¥368\.00<\/title>/);
  });

  test('"Test mode" badge and note only in test mode', () => {
    assert.match(text(render(view())), /Test mode/);
    assert.doesNotMatch(text(render(view({ livemode: true }))), /Test mode|test payment/);
  });

  test('no email line without customerEmail', () => {
    assert.doesNotMatch(text(render(view())), /Email/);
  });

  test('the cancel link only with a cancelUrl', () => {
    const withCancel = render(view());
    const link = find(withCancel, 'a', (t) => t.attrs.get('href') === 'https://shop.example/cart');
    assert.equal(link.length, 1);
    assert.match(text(withCancel), /Cancel and return to Lotus Tea House/);
    const without = render(view({ cancelUrl: null }));
    assert.doesNotMatch(text(without), /Cancel and return/);
    assert.equal(find(without, 'a', (t) => t.attrs.get('href') === 'https://shop.example/cart').length, 0);
  });

  test('a bare host as cancel_url (as in the seeds) becomes an https link; script URLs are never linked', () => {
    assert.equal(find(render(view({ cancelUrl: 'www.baidu.com' })), 'a', (t) => t.attrs.get('href') === 'https://www.baidu.com').length, 1);
    const hostile = render(view({ cancelUrl: 'javascript:alert(1)', status: 'complete', successUrl: ' JavaScript:alert(2)' }));
    assert.doesNotMatch(hostile, /javascript:/i);
  });

  test('a hostile merchant, product, email and error are escaped everywhere', () => {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    for (const status of ['open', 'complete', 'expired'] as const) {
      for (const device of ['desktop', 'phone'] as const) {
        const html = render(plus({
          status, device, merchantName: evil, customerEmail: `${evil}@x`, lastError: `</script><script>alert(3)</script>`,
          lineItems: [{ name: `</style>${evil}`, description: evil, quantity: 1, unitAmount: 54000, amountTotal: 54000, imageUrl: 'javascript:alert(1)' }],
          wallets: [{ code: '"><script>alert(4)</script>', name: evil, available: true, minimum: 1 }],
        }));
        assertCspSafe(html);
        assert.ok(!html.includes('<img src=x'), 'no injected element');
        assert.ok(!html.includes('<script>alert'), 'no injected script');
        assert.ok(!html.includes('</style>&lt;img'), 'no closed style element');
        assert.equal(find(html, 'img').length, 0, 'a javascript: picture is dropped');
        assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp;/);
        assert.equal(find(html, 'script').length, status === 'open' ? 3 : 0, 'only our own scripts');
        assert.equal(find(html, 'style').length, 1);
      }
    }
  });

  test('the script config cannot be closed early by a value', () => {
    const html = render(view({ lastError: '</script><script>alert(1)</script>' }));
    assert.equal(config(html).shownError, '</script><script>alert(1)</script>');
    assert.ok(!/<script type="application\/json"[^>]*>[^<]*<\/script><script>alert/.test(html));
  });
});

describe('checkout page: complete and expired', () => {
  test('complete: "Payment received", a "Return to" link to the success URL, no payment controls or script', () => {
    for (const device of ['desktop', 'phone'] as const) {
      const html = render(plus({ status: 'complete', paymentStatus: 'paid', device, qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipayplus', wallet: 'BPI' } }));
      assertWellFormedPage(html, 'en');
      assert.match(text(html), /Payment received Thank you! Your payment of ₱540\.00 to Lotus Tea House is complete\. Return to Lotus Tea House/);
      assert.equal(find(html, 'a', (t) => t.attrs.get('href') === 'https://shop.example/thanks').length, 1);
      assert.equal(find(html, 'form').length, 0);
      assert.equal(find(html, 'input').length, 0);
      assert.equal(find(html, 'button').length, 0);
      assert.equal(byId(html, 'qr-box'), undefined);
      assert.equal(find(html, 'script').length, 0);
      assert.doesNotMatch(text(html), /Cancel and return/);
      assert.match(text(html), /Order summary Ensaymada/, 'the receipt');
    }
  });

  test('expired: says so plainly, no payment controls; the way back only with a cancelUrl', () => {
    const html = render(view({ status: 'expired' }));
    assertWellFormedPage(html, 'en');
    assert.match(text(html), /This checkout has expired The time to pay has run out, and you have not been charged\./);
    assert.equal(find(html, 'form').length, 0);
    assert.equal(find(html, 'button').length, 0);
    assert.equal(find(html, 'a', (t) => t.attrs.get('href') === 'https://shop.example/cart').length, 1);
    assert.equal(find(html, 'a', (t) => t.attrs.get('href') === 'https://shop.example/thanks').length, 0, 'not to the success page');
    const noCancel = render(view({ status: 'expired', cancelUrl: null }));
    assert.equal(find(noCancel, 'a').length, 0);
  });
});

describe('checkout page in every language', () => {
  const variants: [string, (l: Locale) => CheckoutView][] = [
    ['desktop alipay', (l) => view({ locale: l })],
    ['desktop alipay qr', (l) => view({ locale: l, qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipay', wallet: null } })],
    ['phone alipayplus error', (l) => plus({ locale: l, device: 'phone', lastError: 'x' })],
    ['desktop both', (l) => view({ locale: l, methods: ['alipay', 'alipayplus'], wallets: [{ code: 'ALIPAY_CN', name: 'Alipay', available: true, minimum: 1 }] })],
    ['complete', (l) => view({ locale: l, status: 'complete', paymentStatus: 'paid' })],
    ['expired', (l) => view({ locale: l, status: 'expired' })],
  ];
  for (const locale of LOCALES) {
    test(`${locale}: lang attribute, its own words and its own number format`, () => {
      for (const [name, make] of variants) {
        const v = make(locale);
        const html = render(v);
        assertWellFormedPage(html, locale);
        const s = text(html);
        assert.ok(s.includes(money(v.amountTotal, v.currency, locale)), `${name}: the total as ${locale} writes it`);
        if (v.status === 'open') {
          assert.ok(s.includes(t(locale, 'total')), `${name}: "${t(locale, 'total')}"`);
          assert.ok(s.includes(t(locale, 'payMerchant', { merchant: v.merchantName })), name);
        } else {
          assert.ok(s.includes(t(locale, v.status === 'complete' ? 'completeTitle' : 'expiredTitle')), name);
        }
        if (locale !== 'en') assert.ok(!s.includes('Payment method') && !s.includes('Order summary'), `${name}: no English left in ${locale}`);
      }
    });
  }

  test('the Japanese page groups yen the Japanese way; Indonesian shows whole rupiah', () => {
    assert.ok(text(render(view({ locale: 'ja', currency: 'JPY', amountSubtotal: 128000, amountTotal: 128000, lineItems: [] }))).includes('￥128,000'));
    assert.ok(text(render(plus({ locale: 'id', currency: 'IDR', amountSubtotal: 7500000, amountTotal: 7500000, wallets: [{ code: 'DANA', name: 'DANA', available: true, minimum: 30000 }], lineItems: [] }))).includes('Rp 75.000'));
  });
});

// ---- in a browser ----

const skip = chromiumSkip;

const PICTURE = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#b45309"/></svg>')}`;

interface Scenario {
  view: CheckoutView;
  pay?: (body: URLSearchParams, req: IncomingMessage) => { status?: number; json?: unknown; location?: string; delayMs?: number };
  status?: (n: number) => unknown;
}

describe('checkout page in Chromium, under the production CSP', { skip }, () => {
  let server: Server;
  let origin = '';
  let browser: import('playwright-core').Browser;
  const scenarios = new Map<string, Scenario>();
  const log: { id: string; kind: 'page' | 'pay' | 'status'; body?: string; accept?: string; contentType?: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const m = /^\/c\/(\w+)(\/pay|\/status)?$/.exec(req.url ?? '');
      const s = m && scenarios.get(m[1]!);
      if (!m || !s) { res.writeHead(200, { 'content-type': 'text/plain' }).end('elsewhere'); return; }
      const id = m[1]!;
      if (m[2] === '/status') {
        const n = log.filter((e) => e.id === id && e.kind === 'status').length;
        log.push({ id, kind: 'status' });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s.status?.(n) ?? { status: 'open', payment_status: 'unpaid', next: null, error: null }));
        return;
      }
      if (m[2] === '/pay') {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
          log.push({ id, kind: 'pay', body, accept: req.headers.accept ?? '', contentType: req.headers['content-type'] ?? '' });
          const out = s.pay?.(new URLSearchParams(body), req) ?? { json: { qr: { svg: QR_SVG, walletUrl: WALLET_URL } } };
          setTimeout(() => {
            if (out.location) res.writeHead(out.status ?? 303, { location: out.location }).end();
            else res.writeHead(out.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(out.json));
          }, out.delayMs ?? 0);
        });
        return;
      }
      log.push({ id, kind: 'page' });
      const nonce = `n${Math.random().toString(36).slice(2)}`;
      // No network here: pictures come inline (which also shows img-src admits data: images).
      const lineItems = s.view.lineItems.map((i) => (i.imageUrl ? { ...i, imageUrl: PICTURE } : i));
      const html = renderCheckoutPage({ ...s.view, lineItems, urls: { pay: `/c/${id}/pay`, status: `/c/${id}/status` } }, { nonce });
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data: https:; connect-src 'self'; form-action 'self' https://open-sea.alipayplus.com`,
      }).end(html);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  async function open(id: string, s: Scenario, phone = false) {
    scenarios.set(id, s);
    const page = await browser.newPage(phone
      ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 860 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    return { page, problems };
  }

  test('desktop Alipay: the QR is fetched into the reserved box without moving it, then polling follows `next`', async () => {
    const { page, problems } = await open('auto', {
      view: view(),
      pay: () => ({ json: { qr: { svg: QR_SVG, walletUrl: WALLET_URL } }, delayMs: 1500 }),
      status: (n) => ({ status: n < 1 ? 'open' : 'complete', payment_status: n < 1 ? 'unpaid' : 'paid', next: n < 1 ? null : '/c/elsewhere', error: null }),
    });
    await page.goto(`${origin}/c/auto`, { waitUntil: 'domcontentloaded' });
    const before = await page.locator('#qr-box').boundingBox();
    const panelBefore = await page.locator('.panel').boundingBox();
    assert.equal(await page.locator('#qr-area').getAttribute('data-state'), 'loading');
    assert.ok(await page.locator('.qr-loading').isVisible(), 'a spinner while the code is on its way');
    assert.ok(!(await page.getByRole('button', { name: 'Show QR code' }).isVisible()), 'the no-script button stays hidden');
    await page.locator('#qr-area[data-state=ready]').waitFor();
    assert.deepEqual(await page.locator('#qr-box').boundingBox(), before, 'the box did not move or resize');
    assert.deepEqual(await page.locator('.panel').boundingBox(), panelBefore, 'the panel did not grow');
    assert.equal(await page.locator('#qr-caption').textContent(), 'Scan with the Alipay app');
    assert.equal(await page.getByRole('link', { name: 'Open on this device' }).getAttribute('href'), WALLET_URL);
    assert.equal(await page.getByRole('status').textContent(), 'Waiting for payment…');
    assert.equal(await page.getByRole('img', { name: 'QR code to pay CN¥368.00 with Alipay' }).count(), 1);
    const pay = log.find((e) => e.id === 'auto' && e.kind === 'pay')!;
    assert.equal(pay.body, 'method=alipay');
    assert.match(pay.accept!, /application\/json/);
    assert.match(pay.contentType!, /application\/x-www-form-urlencoded/);
    await page.waitForURL(`${origin}/c/elsewhere`, { timeout: 10_000 });
    assert.deepEqual(problems, [], 'no CSP violation or script error');
    await page.close();
  });

  test('desktop Alipay+: no wallet, no request; the chosen wallet names the button and gets its QR', async () => {
    const { page, problems } = await open('plus', { view: plus() });
    await page.goto(`${origin}/c/plus`);
    await page.getByRole('button', { name: 'Pay with selected wallet' }).click();
    await page.waitForTimeout(200);
    assert.equal(log.filter((e) => e.id === 'plus' && e.kind === 'pay').length, 0, '`required` stops the form');
    assert.ok(await page.getByLabel('GCash').isDisabled());
    await page.getByLabel('BPI').check();
    await page.getByRole('button', { name: 'Pay with BPI' }).click();
    await page.locator('#qr-area[data-state=ready]').waitFor();
    assert.equal(log.find((e) => e.id === 'plus' && e.kind === 'pay')!.body, 'method=alipayplus&wallet=BPI');
    assert.equal(await page.locator('#qr-caption').textContent(), 'Scan with the BPI app');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('desktop: a refused payment shows its error in the alert; a failed one while polling reloads the page', async () => {
    const { page } = await open('refused', { view: view(), pay: () => ({ status: 402, json: { error: 'Alipay is not available right now.' } }) });
    await page.goto(`${origin}/c/refused`);
    await page.getByRole('alert').filter({ hasText: 'Alipay is not available right now.' }).waitFor();
    assert.ok(await page.getByRole('button', { name: 'Try again' }).isVisible(), 'and a way to try again');
    await page.close();

    const { page: p2 } = await open('declined', {
      view: view({ qr: { svg: QR_SVG, walletUrl: WALLET_URL, method: 'alipay', wallet: null } }),
      status: () => ({ status: 'open', payment_status: 'unpaid', next: null, error: 'Declined by the wallet.' }),
    });
    await p2.goto(`${origin}/c/declined`);
    const reloaded = () => log.filter((e) => e.id === 'declined' && e.kind === 'page').length >= 2;
    for (let i = 0; i < 50 && !reloaded(); i++) await p2.waitForTimeout(100);
    assert.ok(reloaded(), 'the page reloads for the server to show the error');
    await p2.close();
  });

  test('phone: the form posts normally (the server then redirects to the wallet app)', async () => {
    const { page, problems } = await open('phone', { view: plus({ device: 'phone' }), pay: () => ({ location: '/c/elsewhere' }) }, true);
    await page.goto(`${origin}/c/phone`);
    const width = await page.evaluate('document.documentElement.scrollWidth');
    assert.ok((width as number) <= 390, `no sideways scrolling on a phone (${width}px)`);
    await page.getByLabel('Akulaku PayLater').check();
    await page.getByRole('button', { name: 'Pay with Akulaku PayLater' }).click();
    await page.waitForURL(`${origin}/c/elsewhere`);
    const pay = log.find((e) => e.id === 'phone' && e.kind === 'pay')!;
    assert.equal(pay.body, 'method=alipayplus&wallet=AKULAKU_PAYLATER_PH');
    assert.doesNotMatch(pay.accept!, /application\/json/, 'a plain form post, not fetch');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('touch targets are at least 44px and text has room on a phone, in Thai too', async () => {
    const { page } = await open('thai', { view: plus({ locale: 'th', device: 'phone', lastError: 'ถูกปฏิเสธ' }) }, true);
    await page.goto(`${origin}/c/thai`);
    const small = await page.evaluate(`Array.from(document.querySelectorAll('button, a, label.wallet')).map(function (e) {
      var r = e.getBoundingClientRect(); return { t: e.textContent.trim().slice(0, 30), h: r.height, w: r.width };
    }).filter(function (r) { return r.h < 44; })`);
    assert.deepEqual(small, []);
    assert.equal(await page.evaluate('document.documentElement.lang'), 'th');
    await page.close();
  });
});
