// Saker: small conveniences on the event feed page (it works without them): a click anywhere
// on a row opens the alert (the time cell is the keyboard-reachable link), and the filter form
// drops empty fields so that shared links stay short.
(function () {
  'use strict';

  function start() {
    const table = document.getElementById('feed-table');
    if (table) {
      table.addEventListener('click', (event) => {
        if (event.target.closest('a, button, input, select, textarea')) return;
        if (window.getSelection && String(window.getSelection())) return;
        const row = event.target.closest('tbody tr');
        const link = row && row.querySelector('td.time a');
        if (link) window.location.href = link.href;
      });
    }
    const form = document.querySelector('form.filters');
    if (form) {
      form.addEventListener('submit', () => {
        for (const field of form.querySelectorAll('input[name]')) {
          if (!field.value.trim()) field.disabled = true;
        }
      });
      window.addEventListener('pageshow', () => {
        for (const field of form.querySelectorAll('input[name]')) field.disabled = false;
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
