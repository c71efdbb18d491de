// Saker: the chat page. Talks to the JSON and SSE API of the same server:
//   POST /v1/chat (Server-Sent Events: step, delta, done, error), GET /v1/sessions[/{id}],
//   GET /v1/events (scope validation and counts), GET /healthz.
// The scope bar (scope, time range, clock) is sent with every question. Answers are rendered by
// SakerMarkdown (text nodes only); tool steps are collapsible with their arguments and a one-line
// result; sessions are listed and resumable (#session=ID in the address keeps the place).
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const DURATIONS = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '14d': 14 * 86400e3, '30d': 30 * 86400e3 };
  const STORAGE = 'saker.view';
  const state = { sessionId: null, busy: false, validation: 0 };

  function element(name, className, text) {
    const node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isJapanese(text) {
    return /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\u3000-\u303f]/.test(text);
  }

  // ------------------------------------------------------------ the analyst's view

  function saveView() {
    const view = { scope: $('scope').value, range: $('range').value, since: $('since').value, until: $('until').value, clock: $('clock').value };
    try { localStorage.setItem(STORAGE, JSON.stringify(view)); } catch (error) { /* private mode */ }
    updateNavigation();
  }

  function restoreView(params) {
    let saved = {};
    try { saved = JSON.parse(localStorage.getItem(STORAGE) || '{}') || {}; } catch (error) { saved = {}; }
    const pick = (name, fallback) => (params.has(name) ? params.get(name) : (saved[fallback || name] || ''));
    $('scope').value = pick('scope');
    $('range').value = pick('range') in DURATIONS || pick('range') === 'custom' ? pick('range') : '';
    $('since').value = pick('since');
    $('until').value = pick('until');
    $('clock').value = params.has('now') ? params.get('now') : (saved.clock || '');
    showCustom();
  }

  function showCustom() {
    const custom = $('range').value === 'custom';
    document.querySelector('.field-since').hidden = !custom;
    document.querySelector('.field-until').hidden = !custom;
  }

  /** The clock (a Date) and its RFC 3339 text, or an error message. */
  function clock() {
    const text = $('clock').value.trim();
    if (!text) return { date: new Date(), text: null };
    const date = new Date(text);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(date.getTime())) {
      return { error: 'Clock "' + text + '" is not an RFC 3339 time (e.g. 2026-11-20T12:00:00Z).' };
    }
    return { date, text: date.toISOString().replace('.000Z', 'Z') };
  }

  /** `{since, until, now}` of the scope bar, or `{error, field}`. */
  function view() {
    const now = clock();
    if (now.error) return { error: now.error, field: 'clock' };
    const range = $('range').value;
    const result = { scope: $('scope').value.trim(), now: now.text };
    if (range === 'custom') {
      for (const name of ['since', 'until']) {
        const text = $(name).value.trim();
        if (text && Number.isNaN(new Date(text).getTime())) {
          return { error: name + ' "' + text + '" is not a time (RFC 3339 or YYYY-MM-DD).', field: name };
        }
        if (text) result[name] = text;
      }
    } else if (range) {
      const end = now.date;
      result.since = new Date(end.getTime() - DURATIONS[range]).toISOString().replace('.000Z', 'Z');
      result.until = end.toISOString().replace('.000Z', 'Z');
    }
    return result;
  }

  function setTimeError(message, field) {
    const status = $('time-status');
    status.textContent = message || '';
    status.hidden = !message;
    for (const name of ['since', 'until', 'clock']) {
      if (message && name === field) $(name).setAttribute('aria-invalid', 'true');
      else $(name).removeAttribute('aria-invalid');
    }
  }

  function setScopeStatus(message, invalid) {
    const status = $('scope-status');
    status.textContent = message;
    status.className = invalid ? 'field-error' : 'hint';
    if (invalid) $('scope').setAttribute('aria-invalid', 'true');
    else $('scope').removeAttribute('aria-invalid');
  }

  function eventsHref(current) {
    const params = new URLSearchParams();
    if (current.scope) params.set('scope', current.scope);
    if (current.since) params.set('since', current.since);
    if (current.until) params.set('until', current.until);
    const query = params.toString();
    return '/events' + (query ? '?' + query : '');
  }

  function updateNavigation() {
    const current = view();
    if (current.error) return;
    $('nav-events').href = eventsHref(current);
    const report = new URLSearchParams();
    if (current.scope) report.set('scope', current.scope);
    if (current.now) report.set('now', current.now);
    $('nav-reports').href = '/reports/recon' + (report.toString() ? '?' + report.toString() : '');
  }

  /** Checks the scope and time range against the server (GET /v1/events) and shows the count. */
  async function validateView() {
    const current = view();
    if (current.error) { setTimeError(current.error, current.field); return false; }
    setTimeError('');
    const ticket = ++state.validation;
    const params = new URLSearchParams({ limit: '1' });
    if (current.scope) params.set('scope', current.scope);
    if (current.since) params.set('since', current.since);
    if (current.until) params.set('until', current.until);
    let response;
    try {
      response = await window.SakerApi.fetch('/v1/events?' + params.toString(), { headers: { accept: 'application/json' } });
    } catch (error) {
      setScopeStatus('The server cannot be reached.', true);
      return false;
    }
    if (ticket !== state.validation) return !$('scope').hasAttribute('aria-invalid');
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      setScopeStatus(body.total + ' alert' + (body.total === 1 ? '' : 's') + ' in this scope and time range.', false);
      return true;
    }
    const error = body.error || {};
    if (error.code === 'invalid_time') {
      setScopeStatus('Falco field syntax; empty for every alert.', false);
      setTimeError(error.message, 'since');
    } else {
      setScopeStatus(error.message || 'The scope is not valid.', true);
    }
    return false;
  }

  let validateTimer = null;
  function scheduleValidation() {
    saveView();
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validateView, 350);
  }

  // ------------------------------------------------------------ server status and clock hint

  async function showHealth() {
    try {
      const response = await window.SakerApi.fetch('/healthz');
      const health = await response.json();
      $('backend-status').textContent = (health.alerts === null ? '?' : health.alerts) + ' alerts · ' + health.backend;
    } catch (error) {
      $('backend-status').textContent = 'server unreachable';
    }
  }

  /** When the newest stored alert is older than a day and no clock is set, offers it as the clock. */
  async function offerClock() {
    if ($('clock').value.trim()) { $('clock-notice').hidden = true; return; }
    let body;
    try {
      const response = await window.SakerApi.fetch('/v1/events?limit=1', { headers: { accept: 'application/json' } });
      body = await response.json();
    } catch (error) { return; }
    const newest = body.alerts && body.alerts[0] && new Date(body.alerts[0].time);
    if (!newest || Date.now() - newest.getTime() < 86400e3) { $('clock-notice').hidden = true; return; }
    const suggested = new Date(Math.ceil(newest.getTime() / 3600e3) * 3600e3).toISOString().replace('.000Z', 'Z');
    $('clock-notice-text').textContent = 'The newest stored alert is from ' + newest.toISOString().slice(0, 16).replace('T', ' ') +
      ' UTC: relative ranges ("last 7 days") count back from the clock.';
    $('clock-notice-use').textContent = 'Set the clock to ' + suggested;
    $('clock-notice-use').onclick = () => {
      $('clock').value = suggested;
      $('clock-notice').hidden = true;
      scheduleValidation();
    };
    $('clock-notice').hidden = false;
  }

  // ------------------------------------------------------------ rendering turns

  function summaryOf(step) {
    const output = step.output || {};
    if (output.error) return 'failed: ' + output.error;
    const evidence = output.evidence || (output.current && output.current.evidence);
    if (evidence && typeof evidence.count === 'number') return evidence.count + ' alerts';
    return 'finished';
  }

  function stepItem(index, tool) {
    const details = element('details', 'step');
    details.dataset.index = String(index);
    details.dataset.tool = tool;
    const summary = element('summary');
    summary.appendChild(element('span', 'step-tool', tool));
    summary.appendChild(element('span', 'step-phase', 'running'));
    summary.appendChild(element('span', 'step-summary', ''));
    details.appendChild(summary);
    details.appendChild(element('p', 'label', 'Arguments'));
    details.appendChild(element('pre', 'step-arguments'));
    return details;
  }

  function updateStep(turn, event) {
    const list = turn.querySelector('.steps');
    let item = list.querySelector('.step[data-index="' + event.index + '"]');
    if (!item) {
      item = stepItem(event.index, event.tool);
      list.appendChild(item);
      list.hidden = false;
    }
    item.dataset.phase = event.phase;
    item.querySelector('.step-phase').textContent = event.phase === 'started' ? 'running' : event.phase;
    item.querySelector('.step-summary').textContent = event.summary || '';
    item.querySelector('.step-arguments').textContent = JSON.stringify(event.arguments, null, 2);
  }

  function addOutputs(turn, steps) {
    const list = turn.querySelector('.steps');
    steps.forEach((step, position) => {
      let item = list.querySelector('.step[data-index="' + (position + 1) + '"]');
      if (!item) {
        item = stepItem(position + 1, step.tool);
        item.dataset.phase = step.output && step.output.error ? 'failed' : 'finished';
        item.querySelector('.step-phase').textContent = item.dataset.phase;
        item.querySelector('.step-summary').textContent = summaryOf(step);
        item.querySelector('.step-arguments').textContent = JSON.stringify(step.arguments, null, 2);
        list.appendChild(item);
      }
      // The recorded arguments are the effective ones, with the analyst's scope applied.
      item.querySelector('.step-arguments').textContent = JSON.stringify(step.arguments, null, 2);
      if (!item.querySelector('.step-output')) {
        const output = element('details', 'step-output');
        output.appendChild(element('summary', null, 'Output'));
        const text = JSON.stringify(step.output, null, 2);
        output.appendChild(element('pre', null, text.length > 60000 ? text.slice(0, 60000) + '\n…' : text));
        item.appendChild(output);
      }
    });
    list.hidden = steps.length === 0;
  }

  function newTurn(question) {
    $('welcome').hidden = true;
    const turn = element('article', 'turn');
    const asked = element('div', 'question');
    asked.setAttribute('lang', isJapanese(question) ? 'ja' : 'en');
    asked.appendChild(element('span', 'visually-hidden', 'Question: '));
    asked.appendChild(element('p', null, question));
    turn.appendChild(asked);
    const steps = element('div', 'steps');
    steps.setAttribute('aria-label', 'Tool steps');
    steps.hidden = true;
    turn.appendChild(steps);
    const answer = element('div', 'answer markdown');
    answer.setAttribute('lang', isJapanese(question) ? 'ja' : 'en');
    turn.appendChild(answer);
    $('conversation').appendChild(turn);
    return turn;
  }

  function renderAnswer(turn, markdown) {
    turn.querySelector('.answer').replaceChildren(window.SakerMarkdown.render(markdown));
  }

  function finishTurn(turn, answer) {
    renderAnswer(turn, answer.answer);
    turn.querySelector('.answer').setAttribute('lang', answer.language || 'en');
    turn.dataset.session = answer.session_id;
    turn.dataset.turn = String(answer.turn);
    addOutputs(turn, answer.steps || []);
    const panels = window.SakerPanels.forAnswer(answer, () => window.SakerPanels.loadHistory($('response-history')));
    if (panels) turn.appendChild(panels);
    const meta = element('footer', 'turn-meta');
    const grounded = element('span', 'badge ' + (answer.grounded ? 'grounded' : 'ungrounded'),
      answer.grounded ? 'grounded in the tool outputs' : 'not fully grounded: ' + (answer.unsupported || []).join(', '));
    meta.appendChild(grounded);
    meta.appendChild(element('span', 'badge', answer.backend));
    meta.appendChild(element('span', 'badge', 'scope: ' + (answer.scope || 'everything')));
    if (answer.links && answer.links.length) {
      const links = element('ul', 'evidence-links');
      links.setAttribute('aria-label', 'Evidence');
      for (const link of answer.links) {
        const href = window.SakerMarkdown.safeHref(link.href || '');
        if (!href) continue;
        const item = element('li');
        const anchor = element('a', null, link.label);
        anchor.href = href;
        item.appendChild(anchor);
        links.appendChild(item);
      }
      meta.appendChild(links);
    }
    turn.appendChild(meta);
  }

  function showTurnError(turn, message) {
    const error = element('p', 'error', message);
    error.setAttribute('role', 'alert');
    turn.appendChild(error);
  }

  // ------------------------------------------------------------ asking

  /** Reads Server-Sent Events from a fetch response, calling `handle(name, data)` per event. */
  async function readEvents(response, handle) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary;
      while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
        let name = 'message';
        const data = [];
        for (const line of frame.split(/\r?\n/)) {
          if (line.startsWith(':')) continue;
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) handle(name, data.join('\n'));
      }
    }
  }

  async function ask(question) {
    if (state.busy || !question.trim()) return;
    clearTimeout(validateTimer);
    validateView();
    const current = view();
    if (current.error) { setTimeError(current.error, current.field); $(current.field).focus(); return; }
    state.busy = true;
    $('ask-button').disabled = true;
    $('conversation').setAttribute('aria-busy', 'true');
    const turn = newTurn(question);
    turn.scrollIntoView({ block: 'start' });
    const body = { message: question, scope: current.scope };
    if (state.sessionId) body.session_id = state.sessionId;
    if (current.since) body.since = current.since;
    if (current.until) body.until = current.until;
    if (current.now) body.now = current.now;
    let text = '';
    let pending = false;
    try {
      const response = await window.SakerApi.fetch('/v1/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        const failure = await response.json().catch(() => ({}));
        const error = failure.error || {};
        if (error.code === 'invalid_scope') { setScopeStatus(error.message, true); $('scope').focus(); }
        if (error.code === 'invalid_time') setTimeError(error.message, 'since');
        if (error.code === 'session_not_found') { state.sessionId = null; history.replaceState(null, '', location.pathname + location.search); }
        showTurnError(turn, error.message || ('The server answered HTTP ' + response.status + '.'));
        return;
      }
      turn.classList.add('streaming');
      await readEvents(response, (name, data) => {
        let payload;
        try { payload = JSON.parse(data); } catch (error) { return; }
        if (name === 'step') updateStep(turn, payload);
        else if (name === 'delta') {
          text += payload.text;
          if (!pending) {
            pending = true;
            requestAnimationFrame(() => { pending = false; if (!turn.classList.contains('done')) renderAnswer(turn, text); });
          }
        } else if (name === 'done') {
          turn.classList.add('done');
          finishTurn(turn, payload);
          state.sessionId = payload.session_id;
          history.replaceState(null, '', location.pathname + location.search + '#session=' + encodeURIComponent(payload.session_id));
        } else if (name === 'error') {
          showTurnError(turn, payload.message || payload.code);
        }
      });
    } catch (error) {
      showTurnError(turn, 'The connection to the server failed: ' + error.message);
    } finally {
      turn.classList.remove('streaming');
      state.busy = false;
      $('ask-button').disabled = false;
      $('conversation').setAttribute('aria-busy', 'false');
      loadSessions();
    }
  }

  // ------------------------------------------------------------ sessions

  async function loadSessions() {
    let ids = [];
    try {
      const response = await window.SakerApi.fetch('/v1/sessions?limit=20');
      ids = (await response.json()).sessions || [];
    } catch (error) { return; }
    const sessions = await Promise.all(ids.map(async (id) => {
      try {
        const response = await window.SakerApi.fetch('/v1/sessions/' + encodeURIComponent(id));
        return response.ok ? await response.json() : null;
      } catch (error) { return null; }
    }));
    const list = $('session-list');
    list.replaceChildren();
    for (const session of sessions) {
      if (!session || !session.turns || !session.turns.length) continue;
      const item = element('li');
      const button = element('button', 'session');
      button.type = 'button';
      const first = session.turns[0].question;
      button.appendChild(element('span', 'session-title', first.length > 70 ? first.slice(0, 70) + '…' : first));
      button.appendChild(element('span', 'session-meta',
        session.turns.length + ' question' + (session.turns.length === 1 ? '' : 's') + ' · ' + (session.scope || 'everything')));
      if (session.id === state.sessionId) button.setAttribute('aria-current', 'true');
      button.addEventListener('click', () => openSession(session.id));
      item.appendChild(button);
      list.appendChild(item);
    }
    $('sessions-empty').hidden = list.childElementCount > 0;
  }

  async function openSession(id) {
    let session;
    try {
      const response = await window.SakerApi.fetch('/v1/sessions/' + encodeURIComponent(id));
      if (!response.ok) throw new Error('HTTP ' + response.status);
      session = await response.json();
    } catch (error) {
      history.replaceState(null, '', location.pathname + location.search);
      return;
    }
    state.sessionId = session.id;
    history.replaceState(null, '', location.pathname + location.search + '#session=' + encodeURIComponent(session.id));
    const conversation = $('conversation');
    conversation.querySelectorAll('.turn').forEach((turn) => turn.remove());
    for (const turn of session.turns) {
      const node = newTurn(turn.question);
      finishTurn(node, turn.answer);
    }
    $('welcome').hidden = session.turns.length > 0;
    $('scope').value = session.scope || '';
    saveView();
    validateView();
    document.querySelectorAll('#session-list .session').forEach((button) => button.removeAttribute('aria-current'));
    loadSessions();
    $('question').focus();
  }

  function newSession() {
    state.sessionId = null;
    history.replaceState(null, '', location.pathname + location.search);
    $('conversation').querySelectorAll('.turn').forEach((turn) => turn.remove());
    $('welcome').hidden = false;
    loadSessions();
    $('question').focus();
  }

  // ------------------------------------------------------------ start

  /** Who the server takes us for: approval buttons appear only for roles that may approve. */
  async function loadRole() {
    try {
      const response = await window.SakerApi.fetch('/v1/me', { headers: { accept: 'application/json' } });
      if (response.ok) window.SakerPanels.setRole((await response.json()).role);
    } catch (error) { /* the buttons stay hidden */ }
  }

  function start() {
    const params = new URLSearchParams(location.search);
    restoreView(params);
    if (params.has('q')) $('question').value = params.get('q');
    for (const name of ['scope', 'since', 'until', 'clock']) $(name).addEventListener('input', scheduleValidation);
    $('clock').addEventListener('change', offerClock);
    $('range').addEventListener('change', () => { showCustom(); scheduleValidation(); });
    $('scope-bar').addEventListener('submit', (event) => { event.preventDefault(); validateView(); });
    $('ask-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const question = $('question').value;
      if (!question.trim()) { $('question').focus(); return; }
      $('question').value = '';
      ask(question);
    });
    $('question').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $('ask-form').requestSubmit();
      }
    });
    document.querySelectorAll('.example').forEach((button) => {
      button.addEventListener('click', () => { $('question').value = button.textContent; $('question').focus(); });
    });
    $('new-session').addEventListener('click', newSession);
    updateNavigation();
    showHealth();
    validateView();
    offerClock();
    loadSessions();
    loadRole();
    window.SakerPanels.loadHistory($('response-history'));
    const match = /^#session=(.+)$/.exec(location.hash);
    if (match) openSession(decodeURIComponent(match[1]));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
