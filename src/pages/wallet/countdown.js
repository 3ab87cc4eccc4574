// The live claim's countdown, and the page following the claim: when the shop redeems the code (or
// it expires), the page reloads to say so. Without scripts the page shows the expiry time instead.
(function () {
  'use strict';
  const el = document.getElementById('countdown');
  if (!el) return;
  const expires = Date.parse(el.getAttribute('data-expires'));
  const template = el.getAttribute('data-template');
  const expiredText = el.getAttribute('data-expired-text');
  const statusUrl = el.getAttribute('data-status-url');
  const status = el.getAttribute('data-status');
  let checking = false;

  function check() {
    if (checking) return;
    checking = true;
    fetch(statusUrl, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.status && body.status !== status) window.location.reload(); })
      .catch(function () {})
      .then(function () { checking = false; });
  }

  function tick() {
    const left = Math.max(0, Math.floor((expires - Date.now()) / 1000));
    if (left <= 0) {
      el.textContent = expiredText;
      window.clearInterval(timer);
      check();
      return;
    }
    const seconds = String(left % 60);
    el.textContent = template.replace('{m}', String(Math.floor(left / 60))).replace('{s}', seconds.length < 2 ? '0' + seconds : seconds);
  }

  const timer = window.setInterval(tick, 1000);
  window.setInterval(check, 3000);
  tick();
})();
