// The certificate's print button: shown only when a script can press print for the person
// (the browser's own print menu works either way).
(function () {
  'use strict';
  const button = document.getElementById('print-button');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
})();
