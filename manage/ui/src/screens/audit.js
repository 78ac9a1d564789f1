// Audit: who did what to which record, when, from where; filtered by
// contact (what it did or had done to it), action (one, or a family such
// as contact.) and days.
import './access.css';
import { gql } from '../api.js';
import { h, clear, field, showErrors, clearErrors } from '../ui.js';
import { serverList, contactPicker, when } from './lists.js';

// Where a record of each kind is shown.
const LINKS = { contact: '#/contacts/', sales_order: '#/orders/', web_role: '#/roles/', table_permission: '#/roles/permissions/' };

async function render(el) {
  const d = await gql(`{ auditActions }`);
  const families = [...new Set(d.auditActions.map((a) => a.split('.')[0] + '.'))];
  const action = h('select', { name: 'action' }, h('option', { value: '' }, 'any action'),
    h('optgroup', { label: 'Families' }, families.map((f) => h('option', { value: f }, f + '*'))),
    h('optgroup', { label: 'Actions' }, d.auditActions.map((a) => h('option', { value: a }, a))));
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  let contact = null;
  const chosen = h('span', { class: 'muted' }, 'anyone');
  const picker = contactPicker({ label: 'Contact', onPick: (c) => { contact = c; showContact(); list.reload(); } });
  const showContact = () => clear(chosen, contact ? [`${contact.firstName} ${contact.lastName} (${contact.email}) `,
    h('button', { class: 'btn btn-small', type: 'button', onclick: () => { contact = null; showContact(); list.reload(); } }, 'Any contact')] : 'anyone');
  let form;
  const list = serverList({
    head: ['When', 'Who', 'Action', 'Record', 'From', 'Detail'],
    empty: 'No entry matches.',
    load: async (first, after) => {
      if (form) clearErrors(form);
      try {
        return (await gql(`query($c: ID, $a: String, $from: Date, $to: Date, $first: Int, $after: String) {
          auditLog(contactId: $c, action: $a, from: $from, to: $to, first: $first, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { id at action subjectType subjectId clientIp detail actor { id email } } } } }`,
        { c: contact?.id || null, a: action.value || null, from: from.value || null, to: to.value || null, first, after })).auditLog;
      } catch (err) {
        if (!form) throw err;
        showErrors(form, err);
        return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
      }
    },
    row: (e) => h('tr', {},
      h('td', { style: 'white-space:nowrap' }, when(e.at)),
      h('td', {}, e.actor ? h('a', { href: '#/contacts/' + e.actor.id }, e.actor.email) : h('span', { class: 'muted' }, 'visitor or system')),
      h('td', {}, e.action),
      h('td', {}, LINKS[e.subjectType] ? h('a', { href: LINKS[e.subjectType] + e.subjectId }, e.subjectType.replace('_', ' ')) : e.subjectType,
        h('div', { class: 'muted', style: 'font-size:11px' }, e.subjectId)),
      h('td', {}, e.clientIp),
      h('td', {}, e.detail === '{}' ? '' : h('code', { style: 'font-size:12px;word-break:break-all' }, e.detail))),
  });
  form = h('form', { class: 'card filters', role: 'search' },
    h('div', { class: 'field' }, h('span', { class: 'group-label' }, 'Contact: ', chosen), picker),
    field('Action', action), field('From', from), field('To', to),
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => { e.preventDefault(); list.reload(); });
  for (const s of [action, from, to]) s.addEventListener('change', () => list.reload());
  clear(el, h('h1', {}, 'Audit log'), h('p', { class: 'muted' }, 'Newest first. A contact filter shows what it did and what was done to it.'), form, list.el);
}

export default { id: 'audit', title: 'Audit log', group: 'Operations', render };
