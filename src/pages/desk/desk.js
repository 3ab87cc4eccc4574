// The desk's one script: keeps the live parts of a page current. An element with data-live-url is
// fetched again after data-live-ms milliseconds and replaced by what comes back (the server renders
// the same fragment the page was built with), then scheduled again from the new fragment's own
// data-live-ms. Without this script the pages still work: a link refreshes them by hand.
(function () {
  'use strict';
  function schedule(element) {
    const wait = Number(element.getAttribute('data-live-ms')) || 10000;
    window.setTimeout(function () {
      refresh(element);
    }, Math.max(1000, Math.min(wait, 600000)));
  }
  function refresh(element) {
    if (!element.isConnected) return;
    fetch(element.getAttribute('data-live-url'), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.text();
      })
      .then(function (html) {
        const holder = document.createElement('div');
        holder.innerHTML = html;
        const fresh = holder.firstElementChild;
        if (fresh && fresh.id === element.id) {
          element.replaceWith(fresh);
          schedule(fresh);
        } else {
          schedule(element);
        }
      })
      .catch(function () {
        // Offline for a moment, or signed out: try again later; the page itself still stands.
        schedule(element);
      });
  }
  document.querySelectorAll('[data-live-url]').forEach(schedule);
})();
