// Orders & sync: every order with filters (status, sync state, account,
// submitted between, number); per order its lines, sync state and the
// ERP's answers, with a replay for events the ERP refused; and the ERP
// events themselves, by state, for what failed outside an order (contacts).
import './access.css';
import { gql } from '../api.js';
import { h, clear, field, toast, showErrors, clearErrors } from '../ui.js';
import { serverList, when, syncBadge } from './lists.js';

const STATUSES = ['DRAFT', 'SUBMITTED', 'CONFIRMED', 'PICKED', 'PARTIALLY_DELIVERED', 'DELIVERED', 'PARTIALLY_INVOICED', 'INVOICED', 'CANCELLED'];
const SYNC = ['NOT_SENT', 'PENDING', 'SYNCED', 'FAILED'];
const EVENT = 'id type aggregateId state attempts nextAttemptAt lastAttemptAt lastStatus lastAnswer lastError deliveredAt createdAt';

async function render(el, ctx) {
  const [a, b] = ctx.params;
  const tab = a === 'events' ? 'events' : 'orders';
  clear(el, h('h1', {}, 'Orders & sync'),
    h('div', { class: 'tabs', role: 'tablist' },
      h('button', { role: 'tab', 'aria-selected': String(tab === 'orders'), onclick: () => ctx.navigate('orders') }, 'Orders'),
      h('button', { role: 'tab', 'aria-selected': String(tab === 'events'), onclick: () => ctx.navigate('orders/events') }, 'ERP events')));
  if (tab === 'events') return renderEvents(el, b || 'DEAD', ctx);
  if (a) return renderOrder(el, a);
  return renderOrders(el, ctx);
}

function opts(values, any) {
  return [h('option', { value: '' }, any), values.map((v) => h('option', { value: v }, v))];
}

async function renderOrders(el) {
  const accounts = await gql(`{ customerAccounts(first: 100) { edges { node { id accountNumber name company { code } } } } }`);
  const status = h('select', { name: 'status' }, opts(STATUSES, 'any status'));
  const sync = h('select', { name: 'syncState' }, opts(SYNC, 'any sync state'));
  const account = h('select', { name: 'customerAccountId' }, h('option', { value: '' }, 'any account'),
    accounts.customerAccounts.edges.map(({ node: a }) => h('option', { value: a.id }, `${a.company.code} ${a.accountNumber} · ${a.name}`)));
  const from = h('input', { type: 'date', name: 'submittedFrom' });
  const to = h('input', { type: 'date', name: 'submittedTo' });
  const number = h('input', { type: 'search', name: 'number', placeholder: 'WEB-… or ERP number' });
  const filter = () => {
    const f = {};
    if (status.value) f.status = [status.value];
    if (sync.value) f.syncState = [sync.value];
    if (account.value) f.customerAccountId = account.value;
    if (from.value) f.submittedFrom = from.value;
    if (to.value) f.submittedTo = to.value;
    if (number.value.trim()) f.number = number.value.trim();
    return f;
  };
  let form;
  const list = serverList({
    head: ['Order', 'Account', 'Placed by', 'Status', 'Sync', 'Submitted', 'Total'],
    empty: 'No order matches.',
    load: async (first, after) => {
      if (form) clearErrors(form);
      try {
        return (await gql(`query($f: OrderFilter, $first: Int, $after: String) { orders(filter: $f, first: $first, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { id number status syncState erpOrderNumber submittedAt totalAmount currency
          customerAccount { accountNumber name } contactPerson { email } } } } }`, { f: filter(), first, after })).orders;
      } catch (err) {
        if (!form) throw err;
        showErrors(form, err); // a bad filter, next to its field
        return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
      }
    },
    row: (o) => h('tr', {},
      h('td', {}, h('a', { href: '#/orders/' + o.id }, o.number), o.erpOrderNumber ? h('div', { class: 'muted' }, o.erpOrderNumber) : null),
      h('td', {}, `${o.customerAccount.accountNumber} ${o.customerAccount.name}`),
      h('td', {}, o.contactPerson.email), h('td', {}, o.status), h('td', {}, syncBadge(o.syncState)),
      h('td', {}, when(o.submittedAt)), h('td', { style: 'text-align:right' }, `${o.totalAmount} ${o.currency}`)),
  });
  form = h('form', { class: 'card filters', role: 'search' },
    field('Status', status), field('Sync state', sync), field('Account', account), field('Submitted from', from), field('Submitted to', to), field('Number', number),
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => { e.preventDefault(); list.reload(); });
  for (const s of [status, sync, account, from, to]) s.addEventListener('change', () => list.reload());
  el.append(form, list.el);
}

async function renderOrder(el, id) {
  const d = await gql(`query($id: ID!) { order(id: $id) { id number status syncState erpOrderNumber createdAt submittedAt requestedReceiptDate
    currency totalAmount customerRequisition shipToCountry deliveryAddressDescription
    customerAccount { accountNumber name } contactPerson { email firstName lastName } company { code }
    lines { lineNumber product { number name } quantity unit unitPrice amount }
    erpEvents { ${EVENT} } } }`, { id });
  const o = d.order;
  if (!o) { el.append(h('div', { class: 'form-error' }, 'No such order.')); return; }
  el.append(h('p', {}, h('a', { href: '#/orders' }, '‹ All orders')),
    h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, `Order ${o.number}`),
      h('p', {}, `${o.status} · sync `, syncBadge(o.syncState), o.erpOrderNumber ? ` · ERP order ${o.erpOrderNumber}` : ''),
      h('p', {}, `${o.company.code} ${o.customerAccount.accountNumber} ${o.customerAccount.name} · placed by ${o.contactPerson.firstName} ${o.contactPerson.lastName} (${o.contactPerson.email})`),
      h('p', { class: 'muted' }, `Created ${when(o.createdAt)}${o.submittedAt ? ' · submitted ' + when(o.submittedAt) : ''} · wanted ${o.requestedReceiptDate} · ships to ${o.deliveryAddressDescription}, ${o.shipToCountry}${o.customerRequisition ? ' · reference ' + o.customerRequisition : ''}`),
      h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ['#', 'Product', 'Quantity', 'Unit price', 'Amount'].map((t) => h('th', {}, t)))),
        h('tbody', {}, o.lines.map((l) => h('tr', {}, h('td', {}, l.lineNumber), h('td', {}, `${l.product.number} ${l.product.name}`),
          h('td', {}, `${l.quantity} ${l.unit}`), h('td', {}, l.unitPrice), h('td', {}, l.amount))),
        h('tr', {}, h('td', { colspan: 4 }, h('strong', {}, 'Total')), h('td', {}, h('strong', {}, `${o.totalAmount} ${o.currency}`)))))),
    h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'Sent to the ERP'),
      o.erpEvents.length ? o.erpEvents.map((ev) => eventBlock(ev, () => { location.hash = '#/orders/' + o.id + '/' + Date.now(); }))
        : h('p', { class: 'muted' }, o.status === 'DRAFT' ? 'A draft is not sent to the ERP.' : 'No event yet.')));
}

/** eventBlock shows one event with the ERP's last answer and, when DEAD,
 * a replay button; after a replay, done() redraws. */
function eventBlock(ev, done) {
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const replay = async () => {
    try {
      await gql(`mutation($id: ID!) { replayErpEvent(id: $id) { id state } }`, { id: ev.id });
      toast('Sent again: the ERP gets it within seconds.');
      done();
    } catch (e) { err.textContent = e.message; err.hidden = false; }
  };
  return h('div', { class: 'event', 'data-state': ev.state, style: 'border-top:1px solid var(--line);padding:8px 0' },
    h('div', {}, h('strong', {}, ev.type), ' ', h('span', { class: 'badge' + (ev.state === 'DEAD' ? ' badge-warn' : '') }, ev.state),
      ` · ${ev.attempts} attempt${ev.attempts === 1 ? '' : 's'} · created ${when(ev.createdAt)}`,
      ev.lastAttemptAt ? ` · last tried ${when(ev.lastAttemptAt)}` : '', ev.deliveredAt ? ` · accepted ${when(ev.deliveredAt)}` : '',
      ev.nextAttemptAt ? ` · next try ${when(ev.nextAttemptAt)}` : ''),
    ev.lastStatus != null ? h('div', {}, `The ERP answered HTTP ${ev.lastStatus}:`, h('pre', { class: 'answer' }, ev.lastAnswer || '(empty)')) : null,
    ev.lastError ? h('div', {}, 'No answer: ', h('pre', { class: 'answer' }, ev.lastError)) : null,
    ev.state === 'DEAD' ? h('div', {}, h('p', { class: 'muted' }, 'The ERP refused it or it ran out of attempts. Fix the cause at the ERP\'s end, then send it again.'),
      h('button', { class: 'btn btn-primary', type: 'button', onclick: replay }, 'Replay')) : null,
    err);
}

async function renderEvents(el, state, ctx) {
  const pick = h('select', { name: 'state', 'aria-label': 'State' }, ['DEAD', 'PENDING', 'DELIVERED', 'ALL'].map((s) => h('option', { value: s, selected: s === state }, s)));
  pick.addEventListener('change', () => ctx.navigate('orders/events/' + pick.value));
  const list = serverList({
    head: ['Event'],
    empty: state === 'DEAD' ? 'Nothing failed: the ERP took everything.' : 'No events.',
    load: async (first, after) => (await gql(`query($s: ErpEventState, $first: Int, $after: String) { erpEvents(state: $s, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${EVENT} } } } }`, { s: state === 'ALL' ? null : state, first, after })).erpEvents,
    row: (ev) => h('tr', {}, h('td', {}, eventBlock(ev, () => list.reload()),
      ev.type.startsWith('salesorder') ? h('a', { href: '#/orders/' + ev.aggregateId }, 'Open the order') : h('a', { href: '#/contacts/' + ev.aggregateId }, 'Open the contact'))),
  });
  el.append(h('div', { class: 'toolbar' }, h('label', {}, 'State ', pick)), list.el);
}

export default { id: 'orders', title: 'Orders & sync', group: 'Operations', render };
