// Submits a form marked "auto-submit" once the page has loaded: a sign-in link or a check-in QR
// code then needs no extra tap, while a link-preview robot (which runs no scripts) spends nothing.
// Without scripts the form's own button does the same.
(function () {
  'use strict';
  const form = document.querySelector('form.auto-submit');
  if (!form || form.dataset.submitted) return;
  form.dataset.submitted = '1';
  if (typeof form.requestSubmit === 'function') form.requestSubmit();
  else form.submit();
})();
