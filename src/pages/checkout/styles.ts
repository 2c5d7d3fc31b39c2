/**
 * The checkout's stylesheet, inlined with the CSP nonce (no external assets, no style attributes).
 *
 * Colours are picked for contrast: body text and muted text are ≥ 4.5:1 on every background they
 * sit on, and white on the brand blue is 5.8:1 (Alipay's own #1677ff is only 4.1:1, so the button
 * is a shade darker). Every control is at least 44px tall.
 */
export const CHECKOUT_CSS = `
:root{--ink:#1a1f36;--muted:#5b6478;--line:#e3e8ef;--line-strong:#c9d1dc;--bg:#f4f6fa;--card:#fff;
--brand:#0b5fd4;--brand-ink:#0a4fb0;--brand-soft:#eef4ff;--focus:#0b5fd4;
--danger:#b42318;--danger-ink:#7a1a13;--danger-bg:#fdf1f0;--danger-line:#f4c7c3;
--ok:#147a3f;--warn-ink:#6b4300;--warn-bg:#fff4d1;--warn-line:#f0c24a;color-scheme:light}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans",Arial,sans-serif;overflow-wrap:anywhere}
html:lang(zh-Hans) body{font-family:system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif}
html:lang(zh-Hant) body{font-family:system-ui,-apple-system,"PingFang HK","PingFang TC","Microsoft JhengHei","Noto Sans CJK TC","Noto Sans TC",sans-serif}
html:lang(ja) body{font-family:system-ui,-apple-system,"Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic UI",Meiryo,"Noto Sans CJK JP","Noto Sans JP",sans-serif}
/* Thai stacks vowels and tone marks above and below the line: it needs the room. */
html:lang(th) body{font-family:system-ui,-apple-system,Thonburi,"Leelawadee UI","Noto Sans Thai",Tahoma,sans-serif;line-height:1.65}
h1,h2,p{margin:0}
a{color:var(--brand-ink);text-underline-offset:3px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:4px}
[hidden]{display:none!important}
.num{font-variant-numeric:tabular-nums}

/* header */
.topbar{background:var(--card);border-bottom:1px solid var(--line)}
.topbar-inner{max-width:1040px;margin:0 auto;padding:14px 24px;display:flex;align-items:center;gap:12px;min-height:64px}
.merchant{display:flex;align-items:center;gap:12px;min-width:0;font-weight:600;font-size:17px}
.merchant-name{min-width:0;line-height:1.3}
.monogram,.wallet-mark,.thumb-empty{flex:none;display:grid;place-items:center;color:#fff;font-weight:700;line-height:1}
.monogram{width:36px;height:36px;border-radius:10px;font-size:17px}
.tone-0{background:#1d4ed8}.tone-1{background:#6d28d9}.tone-2{background:#047857}
.tone-3{background:#b45309}.tone-4{background:#be123c}.tone-5{background:#0e7490}
.badge-test{margin-left:auto;flex:none;display:inline-flex;align-items:center;gap:6px;padding:4px 10px;border-radius:999px;
background:var(--warn-bg);border:1px solid var(--warn-line);color:var(--warn-ink);font-size:13px;font-weight:700;letter-spacing:.02em}
.badge-test::before{content:"";width:7px;height:7px;border-radius:50%;background:#c77700}

/* two columns: what you buy, how you pay */
.layout{flex:1;width:100%;max-width:1040px;margin:0 auto;padding:48px 24px 24px;display:grid;
grid-template-columns:minmax(0,1fr) minmax(0,440px);gap:64px;align-items:start}
/* The panel spans both rows; the 1fr row takes its extra height, so the items stay under the total. */
.layout-open{grid-template-rows:auto 1fr;grid-template-areas:"intro panel" "order panel";row-gap:0}
.intro{grid-area:intro}.order{grid-area:order}.panel{grid-area:panel}
.summary-title{font-size:17px;font-weight:500;color:var(--muted)}
.summary-total{font-size:40px;font-weight:700;letter-spacing:-.01em;line-height:1.15;margin:6px 0 32px}
.section-label{font-size:13px;font-weight:700;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 4px}
.items{list-style:none;margin:0;padding:0}
.item{display:flex;gap:14px;align-items:flex-start;padding:14px 0;border-bottom:1px solid var(--line)}
.item-thumb{flex:none;width:48px;height:48px;border-radius:10px;object-fit:cover;background:#e9edf3;border:1px solid var(--line)}
.thumb-empty{width:48px;height:48px;border-radius:10px;background:#e9edf3;color:var(--muted);font-size:18px;border:1px solid var(--line)}
.item-main{flex:1;min-width:0}
.item-name{font-weight:600}
.item-desc,.item-meta{font-size:14px;color:var(--muted);margin-top:2px}
.item-amount{flex:none;font-weight:600;text-align:end}
.totals{margin:8px 0 0;padding:0}
.totals .row,.contact .row{display:flex;justify-content:space-between;gap:16px;padding:8px 0}
.totals dt,.contact dt{color:var(--muted)}
.totals dd,.contact dd{margin:0;text-align:end}
.totals .grand{border-top:1px solid var(--line);margin-top:6px;padding-top:14px;font-size:18px;font-weight:700}
.totals .grand dt{color:var(--ink)}
.contact{margin:20px 0 0;padding:14px 16px;background:var(--card);border:1px solid var(--line);border-radius:10px}
.contact .row{padding:0;flex-wrap:wrap;column-gap:16px;row-gap:2px}
/* An address that does not fit beside its label goes under it, whole, rather than being split. */
.contact dd{margin-inline-start:auto;overflow-wrap:break-word;min-width:0}

/* the payment panel */
.panel,.card{background:var(--card);border:1px solid var(--line);border-radius:16px;padding:28px;
box-shadow:0 1px 2px rgba(16,24,40,.04),0 8px 24px rgba(16,24,40,.06)}
.panel-title{font-size:20px;font-weight:700;margin:0 0 20px}
.btn{display:flex;align-items:center;justify-content:center;gap:8px;width:100%;min-height:52px;padding:12px 20px;border:0;
border-radius:10px;font:inherit;font-size:17px;font-weight:600;line-height:1.3;text-align:center;text-decoration:none;cursor:pointer}
.btn-primary{background:var(--brand);color:#fff}
.btn-primary:hover{background:var(--brand-ink)}
.btn:focus-visible{outline-offset:3px;border-radius:10px}
.btn:disabled{opacity:.6;cursor:progress}
.hint{font-size:14px;color:var(--muted);margin:10px 0 0;text-align:center}
.divider{display:flex;align-items:center;gap:12px;margin:24px 0;color:var(--muted);font-size:14px}
.divider::before,.divider::after{content:"";flex:1;height:1px;background:var(--line)}
.wallets{border:0;margin:0 0 18px;padding:0;min-width:0}
.wallets legend{font-weight:600;padding:0;margin:0 0 10px}
.wallet-list{display:grid;gap:10px}
.wallet{display:flex;align-items:center;gap:12px;min-height:60px;padding:10px 14px;border:1px solid var(--line-strong);border-radius:12px;background:#fff;cursor:pointer}
.wallet:hover{border-color:#8f9bb0}
.wallet input{flex:none;width:20px;height:20px;margin:0;accent-color:var(--brand)}
.wallet:has(input:checked){border-color:var(--brand);box-shadow:0 0 0 1px var(--brand);background:var(--brand-soft)}
@supports selector(:has(*)){.wallet input:focus-visible{outline:none}.wallet:has(input:focus-visible){outline:3px solid var(--focus);outline-offset:2px}}
.wallet.is-disabled{cursor:not-allowed;background:#f6f7f9;border-style:dashed;color:var(--muted)}
.wallet.is-disabled .wallet-mark{opacity:.45}
.wallet-mark{width:34px;height:34px;border-radius:9px;font-size:16px}
.wallet-text{display:flex;flex-direction:column;min-width:0}
.wallet-name{font-weight:600}
.wallet-note{font-size:14px;color:var(--muted)}
.alert{display:flex;gap:12px;align-items:flex-start;padding:14px 16px;margin:0 0 22px;border:1px solid var(--danger-line);
border-left:4px solid var(--danger);border-radius:10px;background:var(--danger-bg);color:var(--danger-ink)}
.alert-icon{flex:none;width:22px;height:22px;margin-top:1px;border-radius:50%;background:var(--danger);color:#fff;display:grid;place-items:center;font-weight:800;font-size:14px;line-height:1}
.alert-title{font-weight:700}
.test-note{margin:22px 0 0;padding:10px 12px;border-radius:10px;background:var(--warn-bg);color:var(--warn-ink);font-size:14px}
.cancel{margin:18px 0 0;text-align:center}
.cancel a{display:inline-block;min-height:44px;padding:10px 8px;color:var(--muted);font-size:15px;line-height:24px}
.cancel a:hover{color:var(--ink)}

/* desktop QR: the box has its size before anything is in it, so nothing moves when the code arrives */
.qr-area{margin-top:24px;text-align:center}
.qr-area.qr-solo{margin-top:0}
.qr-box{width:244px;height:244px;margin:0 auto;padding:13px;border:1px solid var(--line-strong);border-radius:16px;background:#fff;display:grid;place-items:center;overflow:hidden}
.qr-area[data-state=empty] .qr-box,.qr-area[data-state=loading] .qr-box{border-style:dashed;background:#fafbfd}
.qr-code,.qr-empty,.qr-loading{display:none;grid-area:1/1}
.qr-code svg{display:block;width:216px;height:216px}
.qr-empty,.qr-loading{flex-direction:column;align-items:center;justify-content:center;gap:14px;padding:8px;color:var(--muted);font-size:14px}
.qr-empty .btn{font-size:16px;min-height:48px;width:auto}
.qr-glyph{width:44px;height:44px;color:#a3adbd}
.qr-area[data-state=ready] .qr-code{display:block}
.qr-area[data-state=empty] .qr-empty{display:flex}
.qr-area[data-state=loading] .qr-loading{display:flex}
/* With script on, an auto-starting box shows the spinner from the first paint instead of the button. */
html.js .qr-area[data-auto][data-state=empty] .qr-empty{display:none}
html.js .qr-area[data-auto][data-state=empty] .qr-loading{display:flex}
.qr-caption{min-height:1.5em;margin:16px 0 0;font-weight:600}
.qr-area[data-state=empty] .qr-caption,.qr-area[data-state=loading] .qr-caption{font-weight:400;color:var(--muted)}
.qr-fallback{min-height:44px;margin:0}
.qr-fallback[hidden]{display:block!important;visibility:hidden}
.qr-fallback a{display:inline-flex;align-items:center;min-height:44px;padding:0 8px}
.qr-status{min-height:1.5em;display:flex;align-items:center;justify-content:center;gap:8px;color:var(--muted);font-size:15px}
/* While loading, the box itself says so; the live region still tells a screen reader. */
.qr-area[data-state=loading] .qr-status{clip-path:inset(50%)}
.qr-area[data-state=ready] .qr-status::before{content:"";flex:none;width:8px;height:8px;border-radius:50%;background:var(--brand);animation:pulse 1.6s ease-in-out infinite}
.spinner{width:34px;height:34px;border-radius:50%;border:3px solid #d6e2f5;border-top-color:var(--brand);animation:spin .8s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@keyframes pulse{0%,100%{opacity:1}50%{opacity:.25}}
@media (prefers-reduced-motion:reduce){.spinner{animation-duration:2.4s}.qr-area[data-state=ready] .qr-status::before{animation:none}}

/* complete and expired: one column, the outcome first */
.layout-final{grid-template-columns:minmax(0,560px);justify-content:center;gap:24px}
.status-card{text-align:center;padding:40px 32px}
.status-icon{width:64px;height:64px;margin:0 auto 18px;border-radius:50%;display:grid;place-items:center;color:#fff}
.status-icon svg{width:32px;height:32px}
.status-complete .status-icon{background:var(--ok)}
.status-expired .status-icon{background:#5b6478}
.status-card h1{font-size:26px;line-height:1.25;margin:0 0 10px}
.status-card p{color:var(--muted);max-width:44ch;margin:0 auto}
.status-card .btn{margin-top:26px}
.status-card .cancel{margin-top:18px}
.summary-card .section-title{font-size:18px;font-weight:700;margin:0 0 4px}

.footer{padding:28px 16px 36px;text-align:center;font-size:13px;color:var(--muted)}

@media (max-width:720px){
.topbar-inner{padding:10px 16px;min-height:56px}
.layout{grid-template-columns:minmax(0,1fr);gap:20px;padding:24px 16px 8px}
/* On a phone the pay button comes before the line items, within the first screen. */
.layout-open{grid-template-rows:auto;grid-template-areas:"intro" "panel" "order";row-gap:20px}
.order{padding:0 2px}
.summary-total{font-size:34px;margin-bottom:0}
.panel,.card{padding:22px 18px;border-radius:14px}
.status-card{padding:32px 20px}
.layout-final{grid-template-columns:minmax(0,1fr)}
}
`;
