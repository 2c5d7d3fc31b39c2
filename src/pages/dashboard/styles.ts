/**
 * The dashboard's stylesheet, inlined under the CSP nonce like the checkout's (no external assets,
 * no style attributes). Same palette and contrast rules as the checkout: text ≥ 4.5:1, a visible
 * focus ring on everything focusable, controls at least 40 px tall. Under 720 px tables become
 * labelled cards and the navigation wraps, so nothing scrolls sideways on a 375 px phone.
 */
export const DASHBOARD_CSS = `
:root{--ink:#1a1f36;--muted:#5b6478;--line:#e3e8ef;--line-strong:#c9d1dc;--bg:#f4f6fa;--card:#fff;
--brand:#0b5fd4;--brand-ink:#0a4fb0;--brand-soft:#eef4ff;--focus:#0b5fd4;
--danger:#b42318;--danger-bg:#fdf1f0;--danger-line:#f4c7c3;--ok:#147a3f;--ok-bg:#e9f7ef;
--warn-ink:#6b4300;--warn-bg:#fff4d1;--warn-line:#f0c24a;color-scheme:light}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans",Arial,sans-serif;overflow-wrap:anywhere}
h1{font-size:24px;margin:0 0 16px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:15px;margin:16px 0 6px}
p{margin:0 0 10px}
a{color:var(--brand-ink);text-underline-offset:3px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:4px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:8px;top:-48px;background:var(--card);padding:8px 12px;border-radius:6px;z-index:2}
.skip:focus{top:8px}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f6;padding:1px 5px;border-radius:4px;word-break:break-all}
pre{font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#0f172a;color:#e2e8f0;padding:14px;border-radius:8px;white-space:pre-wrap;word-break:break-all;margin:0 0 12px}
.num{font-variant-numeric:tabular-nums;text-align:right}
.muted{color:var(--muted)}
.nowrap{white-space:nowrap}
@media (min-width:721px){a.id{white-space:nowrap}}
.test-banner{background:var(--warn-bg);border-bottom:1px solid var(--warn-line);color:var(--warn-ink);padding:6px 16px;text-align:center;font-size:14px}
.top{background:var(--card);border-bottom:1px solid var(--line)}
.top-inner{max-width:1200px;margin:0 auto;padding:10px 20px;display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px}
.brand{display:flex;align-items:center;gap:10px;font-weight:700;color:var(--ink);text-decoration:none;min-width:0}
.mark{display:grid;place-items:center;width:32px;height:32px;border-radius:8px;background:var(--brand);color:#fff;font-size:13px}
.nav{display:flex;flex-wrap:wrap;gap:4px}
.nav a{padding:8px 10px;border-radius:6px;color:var(--muted);text-decoration:none;font-weight:600}
.nav a:hover{background:var(--bg);color:var(--ink)}
.nav a[aria-current=page]{background:var(--brand-soft);color:var(--brand-ink)}
.session{margin-left:auto;display:flex;gap:8px;align-items:center}
main{max-width:1200px;margin:0 auto;padding:24px 20px 64px}
main:focus{outline:none}
.narrow{max-width:420px;padding-top:10vh}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 16px}
.grid{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));margin:0 0 16px}
.card .field>input:not([type=checkbox]),.card .field>select{width:100%;max-width:26rem}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.stat .label{color:var(--muted);font-size:13px;font-weight:600}.stat .value{font-size:20px;font-weight:700;font-variant-numeric:tabular-nums}
.table-wrap{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;margin:0 0 16px}
table.list{width:100%;border-collapse:collapse}
table.list th,table.list td{text-align:left;padding:10px 12px;border-bottom:1px solid var(--line);vertical-align:top}
table.list th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:#fafbfd}
table.list th.num,table.list td.num{text-align:right}
table.list tbody tr:last-child td{border-bottom:0}
table.list tr[data-href]{cursor:pointer}table.list tr[data-href]:hover td{background:#f8faff}
.empty{background:var(--card);border:1px dashed var(--line-strong);border-radius:10px;padding:20px;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:700;white-space:nowrap;border:1px solid transparent}
.badge-ok{background:var(--ok-bg);color:var(--ok);border-color:#b7e3c8}.badge-bad{background:var(--danger-bg);color:var(--danger);border-color:var(--danger-line)}
.badge-warn{background:var(--warn-bg);color:var(--warn-ink);border-color:var(--warn-line)}.badge-info{background:var(--brand-soft);color:var(--brand-ink);border-color:#c7dafc}
.badge-muted{background:#eef1f6;color:var(--muted);border-color:var(--line)}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px 24px;margin:0}
.facts dt{color:var(--muted);font-size:13px;font-weight:600}.facts dd{margin:0}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px;margin:0 0 16px}
label{display:block;font-size:13px;font-weight:600;color:var(--muted);margin:0 0 4px}
.field{display:flex;flex-direction:column;min-width:0}
.field-grow{flex:1 1 220px}
input,select,textarea{font:inherit;color:var(--ink);background:#fff;border:1px solid var(--line-strong);border-radius:6px;padding:8px 10px;min-height:40px;max-width:100%}
textarea{min-height:80px;width:100%}
input[type=checkbox]{min-height:0;width:18px;height:18px;vertical-align:middle}
fieldset{border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:0 0 12px;min-width:0}
legend{font-weight:600;font-size:13px;color:var(--muted);padding:0 4px}
.checks{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:4px 12px}
.checks label{font-weight:400;color:var(--ink);display:flex;gap:6px;align-items:center;margin:0}
.stack>*+*{margin-top:12px}
.btn{display:inline-flex;align-items:center;justify-content:center;min-height:40px;padding:8px 14px;border-radius:6px;font:inherit;font-weight:600;border:1px solid transparent;cursor:pointer;text-decoration:none}
.btn-primary{background:var(--brand);color:#fff}.btn-primary:hover{background:var(--brand-ink)}
.btn-secondary{background:#fff;color:var(--ink);border-color:var(--line-strong)}.btn-secondary:hover{background:var(--bg)}
.btn-danger{background:#fff;color:var(--danger);border-color:var(--danger-line)}.btn-danger:hover{background:var(--danger-bg)}
.btn-link{background:none;color:var(--brand-ink);padding:8px 6px}
form.inline{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 16px}
.pager{display:flex;gap:8px;justify-content:flex-end;margin:0 0 16px}
.notice{border-radius:8px;padding:12px 14px;margin:0 0 16px;border:1px solid}
.notice-ok{background:var(--ok-bg);border-color:#b7e3c8}.notice-error{background:var(--danger-bg);border-color:var(--danger-line);color:#7a1a13}.notice-info{background:var(--brand-soft);border-color:#c7dafc}
.secret{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.wide,.card .field>input.wide{width:100%;max-width:none}
.card>h2:first-child{margin-top:0}
.attempts{list-style:none;margin:0;padding:0}.attempts li+li{margin-top:4px}
.timeline{list-style:none;margin:0;padding:0}
.timeline>li{border-left:2px solid var(--line-strong);padding:0 0 14px 16px;position:relative}
.timeline>li::before{content:"";position:absolute;left:-6px;top:6px;width:10px;height:10px;border-radius:50%;background:var(--brand)}
.timeline details{margin-top:4px}
summary{cursor:pointer;color:var(--brand-ink);font-weight:600}
.chart{width:100%;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px;margin:8px 0 0;padding:0;list-style:none}
.legend span.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.k0{background:#0b5fd4}.k1{background:#147a3f}.k2{background:#b45309}.k3{background:#6d28d9}.k4{background:#be123c}.k5{background:#0e7490}.k6{background:#4b5563}
.bare{background:var(--bg)}
.login h1{margin-bottom:6px}
@media (max-width:720px){
  main{padding:16px 12px 48px}
  .top-inner{padding:8px 12px}
  .session{margin-left:0}
  table.list thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.list,table.list tbody,table.list tr,table.list td{display:block;width:100%}
  table.list tr{border-bottom:1px solid var(--line);padding:8px 0}
  table.list tbody tr:last-child{border-bottom:0}
  table.list td{border:0;padding:4px 12px;display:flex;gap:12px;justify-content:space-between;text-align:right}
  table.list td::before{content:attr(data-label);color:var(--muted);font-size:12px;font-weight:600;text-align:left;flex:none;max-width:45%}
  table.list td.num{text-align:right}
  table.list td>div{min-width:0}
}
`;
