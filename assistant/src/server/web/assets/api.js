// Saker: the one way the page calls the server, so that credentials are added in one place.
// Issue 6 (API tokens and roles) sets `SakerApi.headers.authorization` and calls
// `SakerPanels.setRole(role)`; every request of the page then carries the token.
(function () {
  'use strict';

  const headers = {};

  /** fetch() on this server with the page's extra headers (e.g. authorization). */
  function api(path, init) {
    const options = Object.assign({}, init || {});
    options.headers = Object.assign({}, headers, (init && init.headers) || {});
    options.credentials = 'same-origin';
    return fetch(path, options);
  }

  window.SakerApi = { fetch: api, headers };
})();
