#!/usr/bin/env node
// Renders sample checkout pages to /tmp/checkout-preview/*.html and, when Chromium is installed,
// screenshots them (desktop 1280×860, phone 390×844) to *.png, so a person can look at every
// state in several languages. Run `npx tsc -p .` first: this imports the compiled renderer.
//
// Screenshots are taken through a small local server that sends the real CSP header and answers
// the pay and status URLs, so the page's script runs as it would in production and any CSP
// violation shows up in the console report at the end.
//
// CJK and Thai need fonts the base image lacks: apt-get install -y fonts-noto-cjk fonts-thai-tlwg
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';

const root = new URL('..', import.meta.url).pathname;
const { renderCheckoutPage } = await import(`${root}dist/src/pages/checkout/render.js`);
const OUT = process.env.PREVIEW_DIR ?? '/tmp/checkout-preview';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
mkdirSync(OUT, { recursive: true });

const qrSvg = async (text) => (await QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }));
const WALLET_URL = 'https://open-sea.alipayplus.com/api/open/v1/ac/cashier/self/codevalue/checkout.htm?codeValue=281666040092tDht8YNMR2t2u648Mu5v476I';
const picture = (fill, glyph) => 'data:image/svg+xml,' + encodeURIComponent(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><rect width="48" height="48" fill="${fill}"/><text x="24" y="31" font-size="20" text-anchor="middle" fill="#fff" font-family="sans-serif">${glyph}</text></svg>`);

function base(over) {
  return {
    sessionId: 'cs_preview',
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
      { name: 'Taiwan fengli pineapple cakes', description: 'Box of 12, very delicious', quantity: 2, unitAmount: 12800, amountTotal: 25600, imageUrl: picture('#b45309', '鳳') },
      { name: 'Oolong tea, 150 g tin', description: null, quantity: 1, unitAmount: 11200, amountTotal: 11200, imageUrl: null },
    ],
    methods: ['alipay'],
    wallets: [],
    customerEmail: 'mei.lin@example.com',
    expiresAt: Date.now() + 3600_000,
    successUrl: 'https://shop.example/thanks',
    cancelUrl: 'https://shop.example/cart',
    lastError: null,
    qr: null,
    urls: { pay: '/pay', status: '/status' },
    ...over,
  };
}

const phpWallets = [
  { code: 'GCASH', name: 'GCash', available: false, minimum: 100000 },
  { code: 'BPI', name: 'BPI', available: true, minimum: 1 },
  { code: 'AKULAKU_PAYLATER_PH', name: 'Akulaku PayLater', available: true, minimum: 1 },
];
const phpItems = [{ name: 'Ensaymada (6 pcs)', description: 'Fresh from the oven', quantity: 3, unitAmount: 18000, amountTotal: 54000, imageUrl: picture('#be123c', 'E') }];
const idrWallets = [
  { code: 'DANA', name: 'DANA', available: true, minimum: 30000 },
  { code: 'AKULAKU_PAYLATER', name: 'Akulaku PayLater', available: true, minimum: 100 },
];
const myrWallets = [
  { code: 'TNG', name: "Touch 'n Go eWallet", available: true, minimum: 5 },
  { code: 'BOOST', name: 'Boost', available: true, minimum: 5 },
];

/** name → { view, payDelayMs?, wait: 'qr'|'load'|'none', act?: what the shopper does before the desktop screenshot } */
const samples = {
  'desktop-alipay-en-auto': { view: base({}), wait: 'qr' },
  'desktop-alipay-en-loading': { view: base({}), payDelayMs: 30_000, wait: 'none' },
  'desktop-alipay-zhHans-qr': { view: base({ locale: 'zh-Hans', merchantName: '莲花茶馆', qr: { method: 'alipay', wallet: null, walletUrl: WALLET_URL, svg: null } }), wait: 'load' },
  'desktop-alipay-ja-error': { view: base({ locale: 'ja', livemode: true, lastError: 'The payment was declined by Alipay.' }), wait: 'load' },
  'desktop-plus-fil-open': { view: base({ locale: 'fil', merchantName: 'Manila Bakehouse', currency: 'PHP', amountSubtotal: 54000, amountTotal: 54000, lineItems: phpItems, methods: ['alipayplus'], wallets: phpWallets, customerEmail: null }), wait: 'load' },
  // After the shopper picks a wallet and presses the button: the QR fetched into the reserved box.
  'desktop-plus-fil-chosen': { view: base({ locale: 'fil', merchantName: 'Manila Bakehouse', currency: 'PHP', amountSubtotal: 54000, amountTotal: 54000, lineItems: phpItems, methods: ['alipayplus'], wallets: phpWallets, customerEmail: null }),
    wait: 'load', act: async (page) => { await page.getByLabel('BPI').check(); await page.getByRole('button', { name: 'Magbayad gamit ang BPI' }).click(); await page.locator('#qr-area[data-state=ready]').waitFor({ timeout: 5000 }); await page.waitForTimeout(600); } },
  'desktop-plus-th-qr': { view: base({ locale: 'th', merchantName: 'ร้านชาใบเตย', currency: 'THB', amountSubtotal: 45000, amountTotal: 45000,
    lineItems: [{ name: 'ชาไทยเย็น', description: 'หวานน้อย', quantity: 3, unitAmount: 15000, amountTotal: 45000, imageUrl: null }],
    methods: ['alipayplus'], wallets: [{ code: 'RABBIT_LINE_PAY', name: 'Rabbit LINE Pay', available: true, minimum: 1 }],
    qr: { method: 'alipayplus', wallet: 'RABBIT_LINE_PAY', walletUrl: WALLET_URL, svg: null } }), wait: 'load' },
  'desktop-both-en-error': { view: base({ methods: ['alipay', 'alipayplus'], currency: 'HKD', wallets: [{ code: 'ALIPAY_HK', name: 'AlipayHK', available: true, minimum: 1 }], lastError: 'Your wallet declined the payment. No money was taken.' }), wait: 'load' },
  'desktop-plus-id-open': { view: base({ locale: 'id', merchantName: 'Kopi Nusantara', currency: 'IDR', amountSubtotal: 7500000, amountTotal: 7500000,
    lineItems: [{ name: 'Kopi Gayo 250 g', description: null, quantity: 1, unitAmount: 7500000, amountTotal: 7500000, imageUrl: null }],
    methods: ['alipayplus'], wallets: idrWallets, cancelUrl: null }), wait: 'load' },
  'desktop-complete-nl': { view: base({ locale: 'nl', status: 'complete', paymentStatus: 'paid', currency: 'EUR' }), wait: 'load' },
  'phone-alipay-zhHant': { view: base({ locale: 'zh-Hant', device: 'phone', currency: 'HKD', merchantName: '蓮花茶館' }), wait: 'load' },
  'phone-plus-ms': { view: base({ locale: 'ms', device: 'phone', merchantName: 'Kedai Kopi Melaka', currency: 'MYR', amountSubtotal: 4590, amountTotal: 4590,
    lineItems: [{ name: 'Kopi O ais', description: null, quantity: 3, unitAmount: 530, amountTotal: 1590, imageUrl: null }, { name: 'Roti bakar kaya', description: 'Dengan telur separuh masak', quantity: 2, unitAmount: 1500, amountTotal: 3000, imageUrl: null }],
    methods: ['alipayplus'], wallets: myrWallets, customerEmail: null }), wait: 'load' },
  'phone-plus-th-error': { view: base({ locale: 'th', device: 'phone', merchantName: 'ร้านชาใบเตย', currency: 'THB', amountSubtotal: 15000, amountTotal: 15000,
    lineItems: [{ name: 'ชาไทยเย็น', description: null, quantity: 1, unitAmount: 15000, amountTotal: 15000, imageUrl: null }],
    methods: ['alipayplus'], wallets: [{ code: 'RABBIT_LINE_PAY', name: 'Rabbit LINE Pay', available: true, minimum: 1 }], lastError: 'การชำระเงินถูกปฏิเสธ' }), wait: 'load' },
  'phone-both-es': { view: base({ locale: 'es', device: 'phone', currency: 'GBP', methods: ['alipay', 'alipayplus'], wallets: [{ code: 'ALIPAY_CN', name: 'Alipay', available: true, minimum: 1 }] }), wait: 'load' },
  'phone-complete-zhHans': { view: base({ locale: 'zh-Hans', device: 'phone', status: 'complete', paymentStatus: 'paid', merchantName: '莲花茶馆' }), wait: 'load' },
  'phone-expired-th': { view: base({ locale: 'th', device: 'phone', status: 'expired', merchantName: 'ร้านชาใบเตย', currency: 'THB' }), wait: 'load' },
  'desktop-expired-en': { view: base({ status: 'expired' }), wait: 'load' },
  'desktop-hostile-en': { view: base({ merchantName: '<img src=x onerror=alert(1)>"Evil" & Co', lineItems: [{ name: '</style><script>alert(1)</script>', description: '"><b>x</b>', quantity: 1, unitAmount: 100, amountTotal: 100, imageUrl: 'javascript:alert(1)' }], amountSubtotal: 100, amountTotal: 100 }), wait: 'load' },
};

for (const s of Object.values(samples)) if (s.view.qr && s.view.qr.svg === null) s.view.qr.svg = await qrSvg(WALLET_URL);

function csp(nonce) {
  return `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data: https:; connect-src 'self'; form-action 'self' https://open-sea.alipayplus.com`;
}

for (const [name, s] of Object.entries(samples)) {
  writeFileSync(`${OUT}/${name}.html`, renderCheckoutPage(s.view, { nonce: 'preview' }));
}
console.log(`wrote ${Object.keys(samples).length} pages to ${OUT}`);

if (!existsSync(CHROMIUM)) {
  console.log(`no Chromium at ${CHROMIUM}: skipping screenshots`);
  process.exit(0);
}

// One page per sample under /s/NAME; its pay and status URLs are /s/NAME/pay and /s/NAME/status.
const server = createServer((req, res) => {
  const m = /^\/s\/([\w-]+)(\/pay|\/status)?$/.exec(req.url ?? '');
  const s = m && samples[m[1]];
  if (!s) { res.writeHead(404).end(); return; }
  if (m[2] === '/status') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'open', payment_status: 'unpaid', next: null, error: null }));
    return;
  }
  if (m[2] === '/pay') {
    setTimeout(async () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ qr: { svg: await qrSvg(WALLET_URL), walletUrl: WALLET_URL } }));
    }, s.payDelayMs ?? 400);
    return;
  }
  const nonce = randomBytes(12).toString('base64');
  const view = { ...s.view, urls: { pay: `/s/${m[1]}/pay`, status: `/s/${m[1]}/status` } };
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp(nonce) }).end(renderCheckoutPage(view, { nonce }));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const problems = [];
try {
  for (const [name, s] of Object.entries(samples)) {
    const sizes = s.view.device === 'phone' || name.startsWith('phone')
      ? [['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]
      : [['desktop', { viewport: { width: 1280, height: 860 } }], ['narrow', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]];
    for (const [size, opts] of sizes) {
      const page = await browser.newPage(opts);
      page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${name}/${size}: console ${msg.type()}: ${msg.text()}`); });
      page.on('pageerror', (err) => problems.push(`${name}/${size}: page error: ${err.message}`));
      await page.goto(`${origin}/s/${name}`, { waitUntil: s.wait === 'none' ? 'domcontentloaded' : 'load' });
      if (s.wait === 'qr') await page.locator('#qr-area[data-state=ready]').waitFor({ timeout: 5000 });
      else if (s.wait === 'load') await page.waitForTimeout(150);
      if (s.act && size === 'desktop') await s.act(page);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      const width = opts.viewport.width;
      if (scrollWidth > width) problems.push(`${name}/${size}: scrolls sideways (${scrollWidth}px > ${width}px)`);
      const file = `${OUT}/${name}${sizes.length > 1 ? `-${size}` : ''}.png`;
      await page.screenshot({ path: file, fullPage: size !== 'desktop' });
      await page.close();
      console.log(`  ${file}`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
if (problems.length) {
  console.log(`\n${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log('\nno console errors, CSP violations or sideways scrolling');
}
