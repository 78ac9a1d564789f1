// Permission explorer: pick a contact and see, per table, what it may read
// and do and which permission of which role grants it (contactAccess);
// ask about one row — "why can't this contact see order X" — through
// explainPermission. It judges the contact as its next request would be.
import './access.css';
import { gql } from '../api.js';
import { h, clear, field, showErrors, clearErrors } from '../ui.js';
import { contactPicker } from './lists.js';
import { PRIVILEGE_HELP } from './roles.js';

const ROW_TABLES = ['sales_order', 'sales_order_line', 'contact', 'customer_account', 'delivery_address', 'product', 'price_list', 'legal_entity', 'web_role', 'table_permission'];

async function render(el, ctx) {
  const contactId = ctx.params[0];
  const picker = contactPicker({ label: 'Contact to explore', onPick: (c) => ctx.navigate('explorer/' + c.id) });
  clear(el, h('h1', {}, 'Permission explorer'),
    h('p', { class: 'muted' }, 'What a contact may read and do on its next request, and which permission of which role allows it.'),
    h('div', { class: 'card' }, h('div', { class: 'field' }, h('span', { class: 'group-label' }, 'Contact'), picker)));
  if (!contactId) return;
  const d = await gql(`query($c: ID!) { contact(id: $c) { id firstName lastName email disabled roles { name } }
    contactAccess(contactId: $c) { table { name noun } decisions { privilege allowed explanation grantedBy { name } } } }`, { c: contactId });
  if (!d.contact) { el.append(h('div', { class: 'form-error' }, 'No such contact.')); return; }
  const c = d.contact;
  const detail = h('div', { class: 'explain', role: 'status', hidden: true });
  const cell = (t, dc) => h('td', { class: dc.allowed ? 'yes' : 'no' },
    h('button', { type: 'button', title: dc.explanation, 'aria-label': `${dc.privilege} on ${t.name}: ${dc.allowed ? 'allowed' : 'denied'}`,
      onclick: () => { detail.hidden = false; detail.className = 'explain' + (dc.allowed ? '' : ' denied'); detail.textContent = `${dc.privilege} on ${t.name}: ${dc.explanation}`; } },
    dc.allowed ? '✓ ' + dc.grantedBy.map((p) => p.name).join(', ') : '—'));
  const grid = h('table', { class: 'table grid-access' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Table'), Object.keys(PRIVILEGE_HELP).map((p) => h('th', { title: PRIVILEGE_HELP[p] }, p)))),
    h('tbody', {}, d.contactAccess.map((ta) => h('tr', { 'data-table': ta.table.name }, h('td', {}, ta.table.name), ta.decisions.map((dc) => cell(ta.table, dc))))));

  const table = h('select', { name: 'table' }, ROW_TABLES.map((t) => h('option', { value: t }, t)));
  const priv = h('select', { name: 'privilege' }, Object.keys(PRIVILEGE_HELP).map((p) => h('option', { value: p }, p)));
  const record = h('input', { name: 'recordId', placeholder: 'order number (WEB-000001) or row id; empty: any row' });
  const answer = h('div', { class: 'explain', role: 'status', hidden: true });
  const ask = h('form', { class: 'card' }, h('h2', { style: 'margin-top:0' }, `Why can (or can't) ${c.email}…`),
    h('div', { class: 'filters' }, field('Privilege', priv), field('Table', table), field('Row', record)),
    h('div', { class: 'actions', style: 'justify-content:flex-start' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Explain')),
    answer);
  ask.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(ask);
    answer.hidden = true;
    try {
      let id = record.value.trim() || null;
      if (id && table.value === 'sales_order' && !/^[0-9a-f-]{36}$/i.test(id)) {
        const o = await gql(`query($n: String) { orders(first: 5, filter: {number: $n}) { edges { node { id number } } } }`, { n: id });
        const hit = o.orders.edges.find((x) => x.node.number.toLowerCase() === id.toLowerCase()) || o.orders.edges[0];
        if (!hit) throw { errors: [{ message: `No order numbered ${id}.`, extensions: { field: 'recordId' } }] };
        id = hit.node.id;
      }
      const r = await gql(`query($c: ID!, $t: String!, $p: Privilege!, $r: ID) { explainPermission(contactId: $c, table: $t, privilege: $p, recordId: $r) {
        allowed explanation grantedBy { name } } }`, { c: c.id, t: table.value, p: priv.value, r: id });
      const x = r.explainPermission;
      answer.className = 'explain' + (x.allowed ? '' : ' denied');
      clear(answer, h('strong', {}, x.allowed ? 'Allowed. ' : 'Denied. '), x.explanation);
      answer.hidden = false;
    } catch (err) { showErrors(ask, err); }
  });
  el.append(h('div', { class: 'card' },
    h('h2', { style: 'margin-top:0' }, `${c.firstName} ${c.lastName} · ${c.email}`),
    c.disabled ? h('p', {}, h('span', { class: 'badge badge-warn' }, 'disabled'), ' A disabled contact can do nothing.') : null,
    h('p', {}, 'Roles: ', c.roles.map((r) => r.name).join(', ') || 'none assigned', ' (and Authenticated users)'),
    h('p', { class: 'muted' }, 'Each cell names the permissions that allow it; select a cell for the reason.'),
    detail, grid), ask);
}

export default { id: 'explorer', title: 'Permission explorer', group: 'Access', render };
