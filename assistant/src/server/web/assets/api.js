// Saker: the one way the page calls the server, so that credentials are added in one place.
// A server with API tokens answers 401: the page asks for a token once, keeps it for this tab
// (sessionStorage), sends it as `Authorization: Bearer` and sets the `saker_token` cookie that
// page loads (the event feed, alert and report pages) need, since a link cannot send a header.
(function () {
  'use strict';

  const headers = {};
  const STORAGE_KEY = 'saker.token';

  function setToken(token) {
    headers.authorization = 'Bearer ' + token;
    document.cookie = 'saker_token=' + encodeURIComponent(token) + '; Path=/; SameSite=Strict';
    try { sessionStorage.setItem(STORAGE_KEY, token); } catch (error) { /* storage disabled */ }
  }

  try {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (stored) setToken(stored);
  } catch (error) { /* storage disabled */ }

  function send(path, init) {
    const options = Object.assign({}, init || {});
    options.headers = Object.assign({}, headers, (init && init.headers) || {});
    options.credentials = 'same-origin';
    return fetch(path, options);
  }

  /** fetch() on this server with the page's credentials; asks for a token once on 401. */
  async function api(path, init) {
    const response = await send(path, init);
    if (response.status !== 401) return response;
    const token = window.prompt('This Saker server needs an API token (`saker token create` makes one):');
    if (!token || !token.trim()) return response;
    setToken(token.trim());
    return send(path, init);
  }

  window.SakerApi = { fetch: api, headers, setToken };
})();
