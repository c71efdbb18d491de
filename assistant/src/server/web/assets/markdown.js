// Saker: a small Markdown renderer for answers, safe by construction.
//
// It never parses HTML: every piece of text becomes a DOM text node (textContent), and only the
// elements listed here are ever created (headings, paragraphs, lists, tables, code, emphasis,
// block quotes, rules, links). A link is kept only when it points to this server (a path such
// as /events?...), a fragment, or an http(s) address; anything else (javascript:, data:) is shown
// as text. So alert text inside an answer (command lines, file names, pod names) can never add
// an element, an attribute, a handler or a script to the page.
(function () {
  'use strict';

  const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+.#-]*)\s*$/;
  const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
  const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
  const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
  const QUOTE = /^ {0,3}>\s?(.*)$/;
  const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

  function element(name, className) {
    const node = document.createElement(name);
    if (className) node.className = className;
    return node;
  }

  /** True for the link targets an answer may use: this server's paths, fragments, http(s). */
  function safeHref(href) {
    const trimmed = href.trim();
    if (/^\/(?!\/)/.test(trimmed) || trimmed.startsWith('#')) return trimmed;
    if (/^https?:\/\/[^\s]+$/i.test(trimmed)) return trimmed;
    return null;
  }

  function indentOf(line) {
    const match = /^(\s*)/.exec(line);
    return match ? match[1].replace(/\t/g, '    ').length : 0;
  }

  function startsBlock(line) {
    return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
      LIST_ITEM.test(line) || /^\s*\|/.test(line);
  }

  // ---------------------------------------------------------------- inline

  function findClosing(text, from, marker) {
    let index = from;
    while (index < text.length) {
      const found = text.indexOf(marker, index);
      if (found < 0) return -1;
      if (text[found - 1] !== '\\') return found;
      index = found + marker.length;
    }
    return -1;
  }

  /** The inline content of `text` appended to `parent`. */
  function inline(text, parent) {
    let buffer = '';
    const flush = () => {
      if (buffer) {
        parent.appendChild(document.createTextNode(buffer));
        buffer = '';
      }
    };
    let index = 0;
    while (index < text.length) {
      const character = text[index];
      if (character === '\\' && index + 1 < text.length && PUNCTUATION.includes(text[index + 1])) {
        buffer += text[index + 1];
        index += 2;
        continue;
      }
      if (character === '`') {
        let run = 0;
        while (text[index + run] === '`') run += 1;
        const marker = '`'.repeat(run);
        let search = index + run;
        let close = -1;
        while (search < text.length) {
          const found = text.indexOf(marker, search);
          if (found < 0) break;
          if (text[found + run] !== '`' && text[found - 1] !== '`') { close = found; break; }
          search = found + 1;
        }
        if (close > 0) {
          flush();
          let content = text.slice(index + run, close).replace(/\n/g, ' ');
          if (content.length > 1 && content.startsWith(' ') && content.endsWith(' ') && content.trim()) {
            content = content.slice(1, -1);
          }
          const code = element('code');
          code.textContent = content;
          parent.appendChild(code);
          index = close + run;
          continue;
        }
        buffer += marker;
        index += run;
        continue;
      }
      if ((character === '*' || character === '_') && text[index + 1] === character) {
        const marker = character + character;
        const close = findClosing(text, index + 2, marker);
        if (close > index + 2) {
          flush();
          const strong = element('strong');
          inline(text.slice(index + 2, close), strong);
          parent.appendChild(strong);
          index = close + 2;
          continue;
        }
      }
      if (character === '*' || character === '_') {
        const before = index > 0 ? text[index - 1] : ' ';
        const opens = character === '*' || !/[\p{L}\p{N}]/u.test(before);
        const close = opens ? findClosing(text, index + 1, character) : -1;
        const after = close >= 0 && close + 1 < text.length ? text[close + 1] : ' ';
        const closes = character === '*' || !/[\p{L}\p{N}]/u.test(after);
        if (close > index + 1 && closes && text[index + 1] !== ' ') {
          flush();
          const emphasis = element('em');
          inline(text.slice(index + 1, close), emphasis);
          parent.appendChild(emphasis);
          index = close + 1;
          continue;
        }
      }
      if (character === '[') {
        const link = parseLink(text, index);
        if (link) {
          flush();
          const href = safeHref(link.href);
          if (href) {
            const anchor = element('a');
            anchor.setAttribute('href', href);
            if (/^https?:/i.test(href)) anchor.setAttribute('rel', 'noopener noreferrer');
            inline(link.label, anchor);
            parent.appendChild(anchor);
          } else {
            inline(link.label, parent);
          }
          index = link.end;
          continue;
        }
      }
      buffer += character;
      index += 1;
    }
    flush();
    return parent;
  }

  /** `[label](href)` at `start`: the label, the href and the index after it, or null. */
  function parseLink(text, start) {
    let depth = 0;
    let index = start;
    for (; index < text.length; index += 1) {
      const character = text[index];
      if (character === '\\') { index += 1; continue; }
      if (character === '`') {
        const close = text.indexOf('`', index + 1);
        if (close > 0) { index = close; continue; }
      }
      if (character === '[') depth += 1;
      if (character === ']') {
        depth -= 1;
        if (depth === 0) break;
      }
    }
    if (index >= text.length || text[index + 1] !== '(') return null;
    let close = index + 2;
    let parentheses = 1;
    for (; close < text.length; close += 1) {
      if (text[close] === '(') parentheses += 1;
      if (text[close] === ')') {
        parentheses -= 1;
        if (parentheses === 0) break;
      }
      if (text[close] === ' ' || text[close] === '\n') return null;
    }
    if (close >= text.length) return null;
    return { label: text.slice(start + 1, index), href: text.slice(index + 2, close), end: close + 1 };
  }

  // ---------------------------------------------------------------- blocks

  function splitRow(line) {
    let text = line.trim();
    if (text.startsWith('|')) text = text.slice(1);
    if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
    const cells = [];
    let cell = '';
    let inCode = 0;
    for (let index = 0; index < text.length; index += 1) {
      const character = text[index];
      if (character === '\\' && text[index + 1] === '|') { cell += '|'; index += 1; continue; }
      if (character === '`') {
        let run = 0;
        while (text[index + run] === '`') run += 1;
        if (inCode === 0) inCode = run; else if (inCode === run) inCode = 0;
        cell += '`'.repeat(run);
        index += run - 1;
        continue;
      }
      if (character === '|' && inCode === 0) { cells.push(cell.trim()); cell = ''; continue; }
      cell += character;
    }
    cells.push(cell.trim());
    return cells;
  }

  function table(lines, start) {
    const header = splitRow(lines[start]);
    const aligns = splitRow(lines[start + 1]).map((cell) => {
      const left = cell.startsWith(':');
      const right = cell.endsWith(':');
      return right && left ? 'center' : right ? 'right' : left ? 'left' : '';
    });
    const wrap = element('div', 'table-wrap');
    const node = element('table');
    const head = element('thead');
    const headRow = element('tr');
    header.forEach((cell, column) => {
      const th = element('th');
      th.setAttribute('scope', 'col');
      if (aligns[column]) th.className = 'align-' + aligns[column];
      inline(cell, th);
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    node.appendChild(head);
    const body = element('tbody');
    let index = start + 2;
    while (index < lines.length && /^\s*\|/.test(lines[index])) {
      const row = element('tr');
      splitRow(lines[index]).forEach((cell, column) => {
        if (column >= header.length) return;
        const td = element('td');
        if (aligns[column]) td.className = 'align-' + aligns[column];
        inline(cell, td);
        row.appendChild(td);
      });
      body.appendChild(row);
      index += 1;
    }
    node.appendChild(body);
    wrap.appendChild(node);
    return { node: wrap, next: index };
  }

  function codeBlock(language, text) {
    const wrap = element('div', 'code-block');
    const pre = element('pre');
    const code = element('code');
    if (language) {
      code.className = 'language-' + language.replace(/[^\w-]/g, '');
      wrap.dataset.language = language.replace(/[^\w-]/g, '');
    }
    code.textContent = text;
    pre.appendChild(code);
    const copy = element('button', 'copy');
    copy.type = 'button';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', language ? 'Copy the ' + language + ' block' : 'Copy the code block');
    copy.addEventListener('click', () => copyText(text, copy));
    wrap.appendChild(copy);
    wrap.appendChild(pre);
    return wrap;
  }

  /** Copies `text` and says so on `button` for a moment. */
  function copyText(text, button) {
    const done = (ok) => {
      const label = button.textContent;
      button.textContent = ok ? 'Copied' : 'Select and copy';
      setTimeout(() => { button.textContent = label === 'Copied' ? 'Copy' : label; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(() => done(true), () => done(fallbackCopy(text)));
    } else {
      done(fallbackCopy(text));
    }
  }

  function fallbackCopy(text) {
    const area = element('textarea', 'visually-hidden');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (error) { ok = false; }
    area.remove();
    return ok;
  }

  function list(lines, start, baseIndent) {
    const first = LIST_ITEM.exec(lines[start]);
    const ordered = /\d/.test(first[2]);
    const node = element(ordered ? 'ol' : 'ul');
    if (ordered) {
      const number = parseInt(first[2], 10);
      if (number !== 1) node.setAttribute('start', String(number));
    }
    let index = start;
    while (index < lines.length) {
      const match = LIST_ITEM.exec(lines[index]);
      if (!match) break;
      const indent = indentOf(match[1]);
      if (indent < baseIndent) break;
      if (indent > baseIndent) break;
      if (/\d/.test(match[2]) !== ordered) break;
      const item = element('li');
      let content = match[3];
      index += 1;
      // Continuation lines belong to the item until a blank line or another item.
      while (index < lines.length && lines[index].trim() && !LIST_ITEM.exec(lines[index]) &&
        !startsBlock(lines[index].trim()) && indentOf(lines[index]) > baseIndent) {
        content += '\n' + lines[index].trim();
        index += 1;
      }
      inline(content, item);
      while (index < lines.length) {
        const nested = LIST_ITEM.exec(lines[index]);
        if (nested && indentOf(nested[1]) > baseIndent) {
          const child = list(lines, index, indentOf(nested[1]));
          item.appendChild(child.node);
          index = child.next;
        } else if (!lines[index].trim() && index + 1 < lines.length) {
          const following = LIST_ITEM.exec(lines[index + 1]);
          if (following && indentOf(following[1]) >= baseIndent) { index += 1; continue; }
          break;
        } else {
          break;
        }
      }
      node.appendChild(item);
    }
    return { node, next: index };
  }

  function blocks(lines, parent) {
    let index = 0;
    while (index < lines.length) {
      const line = lines[index];
      if (!line.trim()) { index += 1; continue; }
      const fence = FENCE.exec(line);
      if (fence) {
        const marker = fence[1];
        const body = [];
        index += 1;
        while (index < lines.length) {
          const closing = lines[index].trim();
          if (closing.startsWith(marker[0].repeat(marker.length)) && /^([`~])\1*$/.test(closing)) { index += 1; break; }
          body.push(lines[index]);
          index += 1;
        }
        parent.appendChild(codeBlock(fence[2], body.join('\n')));
        continue;
      }
      const heading = HEADING.exec(line);
      if (heading) {
        const level = Math.min(6, Math.max(3, heading[1].length));
        parent.appendChild(inline(heading[2], element('h' + level)));
        index += 1;
        continue;
      }
      if (RULE.test(line) && !LIST_ITEM.test(line)) {
        parent.appendChild(element('hr'));
        index += 1;
        continue;
      }
      if (/^\s*\|/.test(line) && index + 1 < lines.length && TABLE_SEPARATOR.test(lines[index + 1])) {
        const result = table(lines, index);
        parent.appendChild(result.node);
        index = result.next;
        continue;
      }
      if (QUOTE.test(line)) {
        const quoted = [];
        while (index < lines.length && QUOTE.test(lines[index])) {
          quoted.push(QUOTE.exec(lines[index])[1]);
          index += 1;
        }
        const quote = element('blockquote');
        blocks(quoted, quote);
        parent.appendChild(quote);
        continue;
      }
      const item = LIST_ITEM.exec(line);
      if (item) {
        const result = list(lines, index, indentOf(item[1]));
        parent.appendChild(result.node);
        index = result.next;
        continue;
      }
      const paragraph = [line.trim()];
      index += 1;
      while (index < lines.length && lines[index].trim() && !startsBlock(lines[index])) {
        paragraph.push(lines[index].trim());
        index += 1;
      }
      parent.appendChild(inline(paragraph.join('\n'), element('p')));
    }
    return parent;
  }

  /** `markdown` rendered into a new DocumentFragment (text nodes and known elements only). */
  function render(markdown) {
    const lines = String(markdown || '').replace(/\r\n?/g, '\n').split('\n');
    return blocks(lines, document.createDocumentFragment());
  }

  window.SakerMarkdown = { render, safeHref, copyText, codeBlock };
})();
