// Helpers of the Access & operations screens: a list paged on the server
// (Relay connections: first/after), a contact picker, dates, and errors
// whose extensions.field carries an index (roleIds[1]).
import { gql } from '../api.js';
import { h, clear } from '../ui.js';

export const PAGE = 25;

/** serverList pages a connection: load(first, after) resolves to
 * {edges: [{node}], pageInfo, totalCount}; row(node) returns a <tr>.
 * Returns {el, reload}; reload() starts again at the first page. */
export function serverList({ head, load, row, empty = 'Nothing here yet.', size = PAGE }) {
  const body = h('tbody');
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const status = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const el = h('div', {}, status,
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, head.map((t) => h('th', {}, t)))), body), nav);
  let cursors = [null]; // the after of every page shown so far
  let page = 0;
  async function show() {
    let conn;
    try {
      conn = await load(size, cursors[page]);
      status.hidden = true;
    } catch (e) {
      status.textContent = e.message;
      status.hidden = false;
      return;
    }
    clear(body, conn.edges.map((e) => row(e.node)));
    if (!conn.edges.length) body.append(h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, empty)));
    cursors[page + 1] = conn.pageInfo.endCursor;
    const pages = Math.max(1, Math.ceil(conn.totalCount / size));
    clear(nav,
      h('button', { class: 'btn btn-small', type: 'button', disabled: page === 0, onclick: () => { page--; show(); } }, '‹ Previous'),
      h('span', { class: 'muted' }, ` Page ${page + 1} of ${pages} · ${conn.totalCount} in all `),
      h('button', { class: 'btn btn-small', type: 'button', disabled: !conn.pageInfo.hasNextPage, onclick: () => { page++; show(); } }, 'Next ›'));
  }
  const reload = () => { cursors = [null]; page = 0; return show(); };
  reload();
  return { el, reload };
}

/** contactPicker is a search box that lists matching contacts as buttons;
 * onPick(contact) gets {id, firstName, lastName, email}. */
export function contactPicker({ onPick, label = 'Find a contact', name = 'contact' }) {
  const input = h('input', { type: 'search', name, placeholder: 'name or email', autocomplete: 'off', 'aria-label': label });
  const results = h('div', { class: 'picker-results' });
  let timer;
  const search = async () => {
    const q = input.value.trim();
    if (!q) { clear(results); return; }
    try {
      const d = await gql(`query($s: String) { contacts(search: $s, first: 8) { edges { node { id firstName lastName email } } } }`, { s: q });
      clear(results, d.contacts.edges.length ? d.contacts.edges.map(({ node: c }) =>
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => { clear(results); input.value = ''; onPick(c); } },
          `${c.firstName} ${c.lastName} · ${c.email}`)) : h('span', { class: 'muted' }, 'No contact matches.'));
    } catch (e) {
      clear(results, h('span', { class: 'field-error' }, e.message));
    }
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); search(); } });
  return h('div', { class: 'picker' }, input, results);
}

/** when formats an RFC 3339 instant for people (UTC, minutes). */
export function when(t) {
  if (!t) return '';
  return t.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

/** plainFields drops list indexes from errors' extensions.field
 * (input.roleIds[1] → input.roleIds) so showErrors finds the input. */
export function plainFields(err) {
  for (const e of err?.errors || []) {
    if (e.extensions?.field) e.extensions.field = String(e.extensions.field).replace(/\[\d+\]/g, '');
  }
  return err;
}

/** group is a labelled group of controls (checkboxes) that showErrors can
 * put an error next to: name is the GraphQL field it sets. */
export function group(label, name, controls, hint) {
  return h('div', { class: 'field', role: 'group', 'aria-label': label },
    h('span', { class: 'group-label' }, label),
    controls,
    hint ? h('div', { class: 'hint' }, hint) : null,
    h('div', { class: 'field-error', role: 'alert', hidden: true, 'data-for': name }));
}

/** checks renders one checkbox per option {value, label, help}; the
 * returned element's values() lists the checked ones. */
export function checks(name, options, checked = []) {
  const el = h('div', { class: 'checks' }, options.map((o) => h('label', { title: o.help || '' },
    h('input', { type: 'checkbox', name, value: o.value, checked: checked.includes(o.value) }), o.label)));
  el.values = () => [...el.querySelectorAll('input:checked')].map((i) => i.value);
  return el;
}

export const syncBadge = (s) => h('span', { class: 'badge' + (s === 'FAILED' ? ' badge-warn' : '') }, s);
