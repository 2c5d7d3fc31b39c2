/**
 * The checkout's browser script, sent inline with the CSP nonce. Plain ES2017, no build step.
 *
 * Everything it does is an enhancement of a page that already works by form posts:
 * - on a desktop, pay forms are sent with fetch and the answer's QR code goes into the reserved
 *   box instead of reloading the page (an Alipay-only checkout asks for its QR at once);
 * - while a QR code is shown it polls the status URL every 2 s and follows `next`, or reloads on
 *   an error so the server can show it;
 * - on a phone it stops a second tap from starting a second payment.
 * It reads its settings from `<script type="application/json" id="checkout-config">`.
 */
/** Runs in <head>, before the first paint, so the CSS can show the spinner instead of the no-script button. */
export const CHECKOUT_HEAD_SCRIPT = `document.documentElement.className+=' js';`;

/** The page script, placed at the end of <body> after its JSON config. */
export const CHECKOUT_SCRIPT = `(function(){
'use strict';
var cfgEl=document.getElementById('checkout-config');
if(!cfgEl)return;
var cfg=JSON.parse(cfgEl.textContent||'{}');
var text=cfg.text||{};
var forms=Array.prototype.slice.call(document.querySelectorAll('form[data-pay-form]'));
var buttons=Array.prototype.slice.call(document.querySelectorAll('[data-pay-button]'));
var alertEl=document.getElementById('pay-error');
var area=document.getElementById('qr-area');
var box=document.getElementById('qr-box');
var code=document.getElementById('qr-code');
var caption=document.getElementById('qr-caption');
var fallback=document.getElementById('qr-fallback');
var link=document.getElementById('qr-link');
var live=document.getElementById('qr-status');
// Wallet and merchant URLs may be app links (alipays:, gcash:), so only script URLs are refused.
var UNSAFE=/^\\s*(javascript|data|vbscript):/i;
var pollGen=0,pollTimer=0,busy=false,fetchedQr=false;

function go(url){
  if(typeof url!=='string'||!url||UNSAFE.test(url))return false;
  if(live)live.textContent=text.redirecting||'';
  window.location.assign(url);
  return true;
}

// The button names the wallet it will open, once one is chosen.
forms.forEach(function(form){
  var btn=form.querySelector('[data-pay-button]');
  form.addEventListener('change',function(e){
    var r=e.target;
    if(btn&&r&&r.name==='wallet'&&r.checked&&r.getAttribute('data-pay-label'))btn.textContent=r.getAttribute('data-pay-label');
  });
});

function setBusy(on){
  buttons.forEach(function(b){b.disabled=on;if(on)b.setAttribute('aria-busy','true');else b.removeAttribute('aria-busy');});
}

function showError(message){
  if(!alertEl)return;
  var m=alertEl.querySelector('[data-error-message]');
  if(m)m.textContent=message;
  alertEl.hidden=false;
}

if(cfg.device==='phone'){
  forms.forEach(function(form){
    form.addEventListener('submit',function(){
      var btn=form.querySelector('[data-pay-button]');
      // Disabled after the submit has been taken, or the browser would drop the submission.
      setTimeout(function(){
        buttons.forEach(function(b){b.disabled=true;});
        if(btn){btn.setAttribute('data-label',btn.textContent);btn.textContent=text.redirecting||btn.textContent;}
      },0);
    });
  });
  // Coming back from the wallet app through the back button restores this page from the cache.
  window.addEventListener('pageshow',function(e){
    if(!e.persisted)return;
    buttons.forEach(function(b){b.disabled=false;var l=b.getAttribute('data-label');if(l)b.textContent=l;});
  });
  return;
}

if(!area||!box||!code)return;

function setState(s){area.setAttribute('data-state',s);area.removeAttribute('data-auto');}

function stopPolling(){pollGen++;clearTimeout(pollTimer);}

function schedule(gen){pollTimer=setTimeout(function(){pollOnce(gen);},2000);}

function pollOnce(gen){
  fetch(cfg.statusUrl,{headers:{'Accept':'application/json'},cache:'no-store',credentials:'same-origin'})
  .then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.json();})
  .then(function(s){
    if(gen!==pollGen)return;
    if(s&&s.next&&go(s.next))return;
    // The page already shows the error of the QR it was rendered with: only a new one needs a reload.
    if(s&&s.error&&(fetchedQr||s.error!==cfg.shownError)){window.location.reload();return;}
    if(s&&s.status&&s.status!=='open'){window.location.reload();return;}
    schedule(gen);
  })
  .catch(function(){if(gen===pollGen)schedule(gen);});
}

function startPolling(){stopPolling();schedule(pollGen);}

function sourceOf(form){
  var el=form.querySelector('input[name=wallet]:checked')||form;
  return {scan:el.getAttribute('data-scan-label')||'',label:el.getAttribute('data-qr-label')||''};
}

function showQr(qr,src){
  code.innerHTML=qr.svg; // the server's own QR markup, the same it embeds when rendering the page
  box.setAttribute('role','img');
  if(src.label)box.setAttribute('aria-label',src.label);
  if(caption)caption.textContent=src.scan;
  if(link&&fallback){
    if(typeof qr.walletUrl==='string'&&qr.walletUrl&&!UNSAFE.test(qr.walletUrl)){link.setAttribute('href',qr.walletUrl);fallback.hidden=false;}
    else fallback.hidden=true;
  }
  setState('ready');
  if(live)live.textContent=text.waiting||'';
  startPolling();
  if(area.scrollIntoView)area.scrollIntoView({block:'nearest',behavior:'smooth'});
}

function fail(message){
  code.innerHTML='';
  box.removeAttribute('role');box.removeAttribute('aria-label');
  if(caption)caption.textContent=caption.getAttribute('data-empty')||'';
  if(fallback)fallback.hidden=true;
  if(live)live.textContent='';
  setState('empty');
  var start=area.querySelector('[data-pay-button]');
  if(start&&text.retry)start.textContent=text.retry;
  showError(message);
}

function requestQr(form){
  if(busy)return;
  busy=true;
  stopPolling();
  if(alertEl)alertEl.hidden=true;
  var src=sourceOf(form);
  setState('loading');
  box.removeAttribute('role');box.removeAttribute('aria-label');
  if(caption)caption.textContent='';
  if(fallback)fallback.hidden=true;
  if(live)live.textContent=text.loading||'';
  setBusy(true);
  fetch(form.action,{method:'POST',credentials:'same-origin',
    headers:{'Accept':'application/json','Content-Type':'application/x-www-form-urlencoded'},
    body:new URLSearchParams(new FormData(form)).toString()})
  .then(function(r){return r.json().catch(function(){return {};});})
  .then(function(b){
    if(b&&b.redirect&&go(b.redirect))return;
    if(b&&b.qr&&typeof b.qr.svg==='string'){fetchedQr=true;showQr(b.qr,src);return;}
    var e=b&&b.error;
    fail((typeof e==='string'&&e)||(e&&typeof e.message==='string'&&e.message)||text.generic||'');
  },function(){fail(text.generic||'');})
  .then(function(){busy=false;setBusy(false);});
}

forms.forEach(function(form){
  // 'submit' only fires once the form is valid, so a missing wallet choice never gets here.
  form.addEventListener('submit',function(e){e.preventDefault();requestQr(form);});
});

if(cfg.polling)startPolling();
if(cfg.autoStart&&forms[0])requestQr(forms[0]);
})();`;
