// Saker: structured panels under an answer, built from the answer's tool steps.
//
// - Exceptions (generate_exception, validate_exception): the Falco exception YAML with a copy
//   button, the validator's verdict and problems, and the impact preview on stored alerts.
// - Response actions (the place for issue 6): proposals of `propose_response_action` with
//   Approve / Reject buttons shown only to roles that may respond, and the response history
//   from `GET /v1/actions`. Until that API exists these panels stay empty and hidden.
//
// Every value is set with textContent: nothing from a tool output is parsed as HTML.
(function () {
  'use strict';

  function element(name, className, text) {
    const node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function definition(list, term, value) {
    if (value === undefined || value === null || value === '') return;
    list.appendChild(element('dt', null, term));
    list.appendChild(element('dd', null, value));
  }

  // ------------------------------------------------------------ exceptions (issue 5)

  function problemsList(problems) {
    const list = element('ul', 'problems');
    for (const problem of problems || []) {
      const where = problem.line ? 'line ' + problem.line + ': ' : (problem.path ? problem.path + ': ' : '');
      const allowed = problem.allowed ? ' (allowed: ' + problem.allowed + ')' : '';
      const layer = problem.layer ? ' [' + problem.layer + ']' : '';
      list.appendChild(element('li', null, where + problem.message + allowed + layer));
    }
    return list;
  }

  function exceptionCard(step) {
    const output = step.output || {};
    if (output.error) return null;
    const generated = step.tool === 'generate_exception';
    const validation = generated ? output.validation : output;
    const card = element('section', 'panel exception-panel');
    card.dataset.tool = step.tool;
    const title = generated ? 'Falco exception for ' + (output.rule || 'the rule') : 'Exception validation';
    card.appendChild(element('h4', null, title));
    if (validation) {
      const verdict = element('p', 'verdict ' + (validation.valid ? 'valid' : 'invalid'),
        validation.valid ? 'Valid: checked by Saker\'s validator' : 'Not valid: do not apply it as it is');
      verdict.setAttribute('role', 'status');
      card.appendChild(verdict);
      if (!validation.valid && validation.problems && validation.problems.length) {
        card.appendChild(problemsList(validation.problems));
      }
      if (validation.warnings && validation.warnings.length) {
        card.appendChild(element('p', 'label', 'Warnings'));
        card.appendChild(problemsList(validation.warnings));
      }
    } else {
      card.appendChild(element('p', 'verdict unvalidated', 'Not validated: do not apply it before it is validated'));
    }
    const yaml = generated ? output.yaml : (step.arguments && step.arguments.yaml);
    if (yaml) {
      card.appendChild(window.SakerMarkdown.codeBlock('yaml', yaml));
    }
    const preview = output.preview;
    if (preview) {
      const list = element('dl', 'impact');
      definition(list, 'Stored alerts of the rule', preview.evidence ? preview.evidence.count : '');
      definition(list, 'Would have been suppressed', preview.suppressed ? preview.suppressed.count : '');
      definition(list, 'Would still be raised', preview.remaining);
      if (preview.unknown && preview.unknown.count) definition(list, 'Undecided (missing fields)', preview.unknown.count);
      card.appendChild(element('p', 'label', 'Impact preview'));
      card.appendChild(list);
      if (preview.evidence && window.SakerMarkdown.safeHref(preview.evidence.link || '')) {
        const link = element('a', null, 'Show the rule\'s alerts');
        link.href = preview.evidence.link;
        card.appendChild(link);
      }
    }
    return card;
  }

  // ------------------------------------------------------------ response actions (issue 6)

  /** The analyst's role, once issue 6's API tokens say it; null hides every approval button. */
  let currentRole = null;
  const RESPONDING_ROLES = ['responder', 'admin'];

  function setRole(role) { currentRole = role || null; }

  /** A proposed response action: what, where, why, blast radius, reversibility; Approve and
   * Reject for roles that may respond, bound to the proposal's digest. */
  function actionCard(proposal, onDecided) {
    const id = proposal.action_id || proposal.id || '';
    const card = element('section', 'panel action-panel');
    card.dataset.actionId = id;
    card.appendChild(element('h4', null, (proposal.kind || 'action') + (proposal.status ? ' · ' + proposal.status : '')));
    if (proposal.summary) card.appendChild(element('p', null, proposal.summary));
    const list = element('dl', 'action');
    const target = proposal.target && typeof proposal.target === 'object'
      ? Object.entries(proposal.target).map(([key, value]) => key + '=' + value).join(' ')
      : proposal.target;
    definition(list, 'Target', target);
    const reason = proposal.reason;
    definition(list, 'Reason', reason && typeof reason === 'object'
      ? [reason.alerts !== undefined ? reason.alerts + ' alerts' : '', (reason.rules || []).map((rule) => rule.name || rule).join(', ')]
        .filter(Boolean).join(' · ')
      : reason);
    const radius = Array.isArray(proposal.blast_radius)
      ? proposal.blast_radius.map((fact) => fact.statement || '').filter(Boolean).join(' ')
      : proposal.blast_radius;
    definition(list, 'Blast radius', radius);
    const reversibility = proposal.reversibility || {};
    definition(list, 'Reversible', reversibility.how || (proposal.reversible === undefined ? '' : (proposal.reversible ? 'yes' : 'no')));
    definition(list, 'Executor', proposal.executor);
    card.appendChild(list);
    if (reason && typeof reason === 'object' && window.SakerMarkdown.safeHref(reason.link || '')) {
      const link = element('a', null, 'Show the alerts behind it');
      link.href = reason.link;
      card.appendChild(link);
    }
    const mayRespond = RESPONDING_ROLES.includes(currentRole);
    if (id && proposal.status === 'proposed' && proposal.digest && mayRespond) {
      const buttons = element('div', 'decision');
      for (const decision of ['approve', 'reject']) {
        const button = element('button', 'decision-' + decision, decision === 'approve' ? 'Approve' : 'Reject');
        button.type = 'button';
        button.addEventListener('click', async () => {
          buttons.querySelectorAll('button').forEach((each) => { each.disabled = true; });
          const response = await window.SakerApi.fetch('/v1/actions/' + encodeURIComponent(id) + '/' + decision, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ digest: proposal.digest }),
          });
          const done = decision === 'approve' ? 'Approved' : 'Rejected';
          const status = element('p', response.ok ? 'verdict valid' : 'verdict invalid',
            response.ok ? done : 'Refused (HTTP ' + response.status + ')');
          status.setAttribute('role', 'status');
          buttons.replaceWith(status);
          if (onDecided) onDecided();
        });
        buttons.appendChild(button);
      }
      card.appendChild(buttons);
    } else if (id && proposal.status === 'proposed') {
      card.appendChild(element('p', 'label', 'Approval needs the responder or admin role: ' + (proposal.approve_command || '')));
    }
    return card;
  }

  /** The panels of an answer's steps: exceptions and proposed actions, or null when none. */
  function forAnswer(answer, onDecided) {
    const container = element('div', 'panels');
    for (const step of answer.steps || []) {
      if (step.tool === 'generate_exception' || step.tool === 'validate_exception') {
        const card = exceptionCard(step);
        if (card) container.appendChild(card);
      }
      if (step.tool === 'propose_response_action' && step.output) {
        const proposals = step.output.proposals || step.output.actions || [];
        for (const proposal of proposals) container.appendChild(actionCard(proposal, onDecided));
      }
    }
    return container.childElementCount ? container : null;
  }

  /** Fills `section` with the response history when the server has one (issue 6). */
  async function loadHistory(section) {
    let response;
    try {
      // Only a server with response actions (the propose_response_action tool) has a history.
      const tools = await (await window.SakerApi.fetch('/v1/tools', { headers: { accept: 'application/json' } })).json();
      const names = (Array.isArray(tools) ? tools : (tools.tools || [])).map((tool) => tool.name);
      if (!names.includes('propose_response_action')) { section.hidden = true; return; }
      response = await window.SakerApi.fetch('/v1/actions', { headers: { accept: 'application/json' } });
    } catch (error) {
      return;
    }
    if (!response.ok) { section.hidden = true; return; }
    const body = await response.json();
    const entries = Array.isArray(body) ? body : (body.actions || body.history || []);
    const list = section.querySelector('ol') || section.appendChild(element('ol', 'history'));
    list.replaceChildren();
    for (const entry of entries) {
      const kind = entry.kind || (entry.proposal && entry.proposal.kind);
      const last = Array.isArray(entry.history) && entry.history.length ? entry.history[entry.history.length - 1] : null;
      const who = last ? (last.actor + (last.role ? ' (' + last.role + ')' : '')) : (entry.actor || entry.proposed_by);
      const text = [entry.updated_at || entry.created_at || entry.time, entry.id, kind, entry.status, who]
        .filter(Boolean).join(' · ');
      list.appendChild(element('li', null, text));
    }
    section.hidden = entries.length === 0;
  }

  window.SakerPanels = { forAnswer, loadHistory, setRole };
})();
