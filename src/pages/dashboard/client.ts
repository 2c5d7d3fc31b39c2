/**
 * The dashboard's only script, inlined under the CSP nonce. Every page works without it; it adds
 * a confirmation before destructive actions, whole-row links in lists, and a copy button for
 * secrets shown once.
 */
export const DASHBOARD_SCRIPT = `(function(){
  document.addEventListener('submit', function (e) {
    var f = e.target;
    // The button pressed may ask its own question (a form with "Save" and "Save and send").
    var b = e.submitter;
    var q = (b && b.getAttribute && b.getAttribute('data-confirm')) || (f && f.getAttribute && f.getAttribute('data-confirm'));
    if (q && !window.confirm(q)) e.preventDefault();
  });
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!t || !t.closest) return;
    var copy = t.closest('[data-copy]');
    if (copy) {
      var src = document.getElementById(copy.getAttribute('data-copy'));
      if (src && navigator.clipboard) navigator.clipboard.writeText(src.textContent || '').then(function(){ copy.textContent = 'Copied'; });
      return;
    }
    if (t.closest('a,button,input,select,textarea,label,summary')) return;
    var row = t.closest('tr[data-href]');
    if (row) window.location.href = row.getAttribute('data-href');
  });
})();`;
