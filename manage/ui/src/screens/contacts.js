// Contacts & invitations: search contacts; create and edit them with
// company and account pickers; see what a contact still lacks before it can
// be invited (missingOrderFields); invite with roles and copy the link;
// revoke, re-invite, see who redeemed when; disable and enable.
import './access.css';
import { gql } from '../api.js';
import { h, clear, field, toast, confirmAction, showErrors, clearErrors } from '../ui.js';
import { serverList, when, plainFields, group, checks } from './lists.js';

const CONTACT = `id firstName lastName email disabled hasSignIn syncState missingOrderFields currency shipToCountry language
  ownCurrency ownShipToCountry ownLanguage ownPriceList { code }
  company { code name } customerAccount { id accountNumber name } priceList { code } roles { id name }`;

async function render(el, ctx) {
  const [id] = ctx.params;
  clear(el, h('h1', {}, 'Contacts & invitations'));
  if (id) return renderContact(el, ctx, id === 'new' ? null : id);
  const search = h('input', { type: 'search', name: 'search', placeholder: 'name or email', 'aria-label': 'Search contacts' });
  const list = serverList({
    head: ['Name', 'Email', 'Account', 'Roles', 'Sign-in'],
    empty: 'No contact matches.',
    load: async (first, after) => (await gql(`query($s: String, $first: Int, $after: String) { contacts(search: $s, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id firstName lastName email disabled hasSignIn missingOrderFields
      customerAccount { accountNumber name } roles { name } } } } }`, { s: search.value.trim() || null, first, after })).contacts,
    row: (c) => h('tr', {},
      h('td', {}, h('a', { href: '#/contacts/' + c.id }, `${c.lastName}, ${c.firstName}`)),
      h('td', {}, c.email),
      h('td', {}, c.customerAccount ? `${c.customerAccount.accountNumber} ${c.customerAccount.name}` : h('span', { class: 'muted' }, 'none')),
      h('td', {}, c.roles.map((r) => r.name).join(', ')),
      h('td', {}, c.disabled ? h('span', { class: 'badge badge-warn' }, 'disabled') : c.hasSignIn ? 'yes' : h('span', { class: 'muted' }, 'not yet'),
        c.missingOrderFields.length ? [' ', h('span', { class: 'badge badge-warn', title: 'lacks ' + c.missingOrderFields.join(', ') }, 'incomplete')] : null)),
  });
  let timer;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(list.reload, 250); });
  el.append(h('div', { class: 'toolbar' }, search, h('span', { class: 'spacer' }), h('a', { class: 'btn btn-primary', href: '#/contacts/new' }, 'New contact')), list.el);
  search.focus();
}

async function renderContact(el, ctx, id) {
  const d = await gql(`query($id: ID!, $has: Boolean!) { legalEntities { code name } webRoles { id name builtIn }
    contact(id: $id) @include(if: $has) { ${CONTACT} } }`, { id: id || '00000000-0000-0000-0000-000000000000', has: !!id });
  const c = id ? d.contact : null;
  if (id && !c) { el.append(h('div', { class: 'form-error' }, 'No such contact, or your roles do not allow reading it.')); return; }
  el.append(h('p', {}, h('a', { href: '#/contacts' }, '‹ All contacts')));
  el.append(contactForm(c, d, ctx));
  if (!c) return;
  const invitations = invitationsCard(c);
  el.append(inviteCard(c, d, invitations.reload), invitations.card, statusCard(c, ctx));
}

function contactForm(c, d, ctx) {
  const inp = (name, value, attrs = {}) => h('input', { name, value: value || '', ...attrs });
  const first = inp('firstName', c?.firstName, { required: true });
  const last = inp('lastName', c?.lastName, { required: true });
  const email = inp('email', c?.email, { required: true, type: 'email' });
  const company = h('select', { name: 'company', required: true }, h('option', { value: '' }, 'Choose a company'),
    d.legalEntities.map((le) => h('option', { value: le.code, selected: c?.company?.code === le.code }, `${le.code} · ${le.name}`)));
  const account = h('select', { name: 'accountNumber', required: true }, h('option', { value: '' }, 'Loading accounts…'));
  const accountSearch = h('input', { type: 'search', placeholder: 'search accounts', 'aria-label': 'Search accounts' });
  const loadAccounts = async () => {
    if (!company.value) { clear(account, h('option', { value: '' }, 'Choose a company first')); return; }
    const r = await gql(`query($c: String, $s: String) { customerAccounts(company: $c, search: $s, first: 100) { totalCount edges { node { accountNumber name currency shipToCountry } } } }`,
      { c: company.value, s: accountSearch.value.trim() || null });
    const cur = account.value || c?.customerAccount?.accountNumber;
    clear(account, h('option', { value: '' }, r.customerAccounts.totalCount ? 'Choose an account' : 'No account matches'),
      r.customerAccounts.edges.map(({ node: a }) => h('option', { value: a.accountNumber, selected: a.accountNumber === cur },
        `${a.accountNumber} · ${a.name} (${a.currency}, ${a.shipToCountry})`)),
      r.customerAccounts.totalCount > 100 ? h('option', { disabled: true }, `… ${r.customerAccounts.totalCount - 100} more: search`) : null);
  };
  company.addEventListener('change', loadAccounts);
  let timer;
  accountSearch.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(loadAccounts, 250); });
  loadAccounts();
  const own = 'Empty: the account\'s.';
  // Own values fill the inputs; inherited ones only show as placeholders,
  // so saving keeps inheriting them.
  const priceList = inp('priceListCode', c?.ownPriceList?.code, { placeholder: c?.priceList ? 'account\'s: ' + c.priceList.code : '' });
  const currency = inp('currency', c?.ownCurrency, { placeholder: c?.currency ? 'account\'s: ' + c.currency : 'e.g. USD', style: 'width:9em' });
  const country = inp('shipToCountry', c?.ownShipToCountry, { placeholder: c?.shipToCountry ? 'account\'s: ' + c.shipToCountry : 'e.g. US', style: 'width:9em' });
  const language = inp('language', c?.ownLanguage, { placeholder: c?.language ? 'account\'s: ' + c.language : 'e.g. en-US', style: 'width:9em' });
  const form = h('form', { class: 'card' }, h('h2', { style: 'margin-top:0' }, c ? `${c.firstName} ${c.lastName}` : 'New contact'),
    c?.missingOrderFields.length ? h('div', { class: 'form-error', role: 'status' },
      `Before it can be invited this contact needs: ${c.missingOrderFields.join(', ')}.`) : null,
    h('div', { class: 'filters' }, field('First name', first), field('Last name', last)),
    field('Email', email, 'Its sign-in name.'),
    field('Company', company),
    h('div', { class: 'field' }, h('label', { for: 'acct-pick' }, 'Customer account'), accountSearch,
      Object.assign(account, { id: 'acct-pick' }), h('div', { class: 'field-error', role: 'alert', hidden: true, 'data-for': 'accountNumber' })),
    h('details', { open: !!(c && (c.ownCurrency || c.ownShipToCountry || c.ownLanguage || c.ownPriceList)) }, h('summary', {}, 'Own order terms (optional; else the account\'s)'),
      h('div', { class: 'filters' }, field('Price list code', priceList, own), field('Currency', currency, own), field('Ship-to country', country, own), field('Language', language, own))),
    h('div', { class: 'actions', style: 'justify-content:flex-start' }, h('button', { class: 'btn btn-primary', type: 'submit' }, c ? 'Save contact' : 'Create contact')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const opt = (x) => x.value.trim() || null;
    const input = { firstName: first.value, lastName: last.value, email: email.value, company: company.value, accountNumber: account.value,
      priceListCode: opt(priceList), currency: opt(currency), shipToCountry: opt(country), language: opt(language) };
    try {
      if (c) {
        await gql(`mutation($id: ID!, $i: ContactInput!) { updateContact(id: $id, input: $i) { id } }`, { id: c.id, i: input });
        toast('Saved contact.');
        ctx.navigate('contacts/' + c.id + '/' + Date.now());
      } else {
        const r = await gql(`mutation($i: ContactInput!) { createContact(input: $i) { id email } }`, { i: input });
        toast(`Created ${r.createContact.email}; invite it below.`);
        ctx.navigate('contacts/' + r.createContact.id);
      }
    } catch (err) { showErrors(form, plainFields(err)); }
  });
  return form;
}

function inviteCard(c, d, onInvited) {
  const options = d.webRoles.filter((r) => r.name !== 'Anonymous users' && r.name !== 'Authenticated users').map((r) => ({ value: r.id, label: r.name }));
  const roles = checks('roleIds', options, c.roles.map((r) => r.id));
  const hours = h('input', { name: 'expiresInHours', type: 'number', min: 1, max: 720, value: 168, style: 'width:8em' });
  const link = h('div', { class: 'link-box', hidden: true });
  const form = h('form', { class: 'card' }, h('h2', { style: 'margin-top:0' }, c.hasSignIn ? 'Invite again' : 'Invite'),
    c.missingOrderFields.length ? h('p', { class: 'form-error' }, `Not yet: it lacks ${c.missingOrderFields.join(', ')}. Set them above first.`) : null,
    c.hasSignIn ? h('p', { class: 'muted' }, 'It can sign in already; a new invitation lets it set a new password.') : null,
    group('Roles it gets on signing up', 'roleIds', roles),
    field('Valid for (hours)', hours, '1 to 720; 168 is a week. A new invitation withdraws the open ones.'),
    h('div', { class: 'actions', style: 'justify-content:flex-start' },
      h('button', { class: 'btn btn-primary', type: 'submit', 'data-action': 'invite', disabled: c.missingOrderFields.length > 0 }, 'Create invitation')),
    link);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      const r = await gql(`mutation($i: InviteInput!) { inviteContact(input: $i) { url invitation { id } } }`,
        { i: { contactId: c.id, roleIds: roles.values(), expiresInHours: Number(hours.value) } });
      showLink(link, r.inviteContact.url);
      toast('Invitation created; copy the link now: it is shown only once.');
      onInvited();
    } catch (err) { showErrors(form, plainFields(err)); }
  });
  return form;
}

function showLink(box, url) {
  const input = h('input', { readonly: true, value: url, name: 'invitationUrl', 'aria-label': 'Invitation link' });
  const copy = h('button', { class: 'btn', type: 'button', onclick: async () => {
    input.select();
    try { await navigator.clipboard.writeText(url); toast('Link copied.'); } catch { document.execCommand('copy'); toast('Link selected: press Ctrl+C if it did not copy.'); }
  } }, 'Copy link');
  clear(box, input, copy);
  box.hidden = false;
  input.focus();
  input.select();
}

function invitationsCard(c) {
  const link = h('div', { class: 'link-box', hidden: true });
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const list = serverList({
    head: ['Status', 'Roles', 'Created', 'Expires', 'Redeemed', ''],
    empty: 'Not invited yet.',
    load: async (first, after) => (await gql(`query($c: ID, $first: Int, $after: String) { invitations(contactId: $c, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id status createdAt expiresAt redeemedAt revokedAt
      roles { id name } invitedBy { email } contact { email } } } } }`, { c: c.id, first, after })).invitations,
    row: (i) => h('tr', { 'data-status': i.status },
      h('td', {}, h('span', { class: 'badge' + (i.status === 'OPEN' ? '' : ' badge-warn') }, i.status), i.revokedAt ? h('div', { class: 'muted' }, 'revoked ' + when(i.revokedAt)) : null),
      h('td', {}, i.roles.map((r) => r.name).join(', ')),
      h('td', {}, when(i.createdAt), i.invitedBy ? h('div', { class: 'muted' }, 'by ' + i.invitedBy.email) : null),
      h('td', {}, when(i.expiresAt)),
      h('td', {}, i.redeemedAt ? `by ${i.contact.email} at ${when(i.redeemedAt)}` : ''),
      h('td', {},
        i.status === 'OPEN' ? h('button', { class: 'btn btn-small btn-danger', type: 'button', onclick: () => revoke(i) }, 'Revoke') : null, ' ',
        h('button', { class: 'btn btn-small', type: 'button', onclick: () => reinvite(i) }, 'Re-invite'))),
  });
  async function revoke(i) {
    if (!await confirmAction(`Revoke this invitation of ${c.email}? Its link stops working at once.`, 'Revoke')) return;
    try {
      await gql(`mutation($id: ID!) { revokeInvitation(id: $id) { id } }`, { id: i.id });
      err.hidden = true;
      toast('Invitation revoked.');
      list.reload();
    } catch (e) { err.textContent = e.message; err.hidden = false; }
  }
  async function reinvite(i) {
    if (!await confirmAction(`Invite ${c.email} again with the roles ${i.roles.map((r) => r.name).join(', ')}? Open invitations are withdrawn.`, 'Re-invite')) return;
    try {
      const r = await gql(`mutation($i: InviteInput!) { inviteContact(input: $i) { url } }`, { i: { contactId: c.id, roleIds: i.roles.map((r) => r.id) } });
      err.hidden = true;
      showLink(link, r.inviteContact.url);
      list.reload();
    } catch (e) { err.textContent = e.message; err.hidden = false; }
  }
  const card = h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'Invitations'), err, link, list.el);
  return { card, reload: list.reload };
}

function statusCard(c, ctx) {
  const err = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const toggle = async () => {
    if (!c.disabled && !await confirmAction(`Disable ${c.email}? It cannot sign in any more and its open sessions end now.`, 'Disable')) return;
    try {
      await gql(`mutation($id: ID!) { ${c.disabled ? 'enableContact' : 'disableContact'}(id: $id) { id } }`, { id: c.id });
      toast(c.disabled ? 'Enabled.' : 'Disabled.');
      ctx.navigate('contacts/' + c.id + '/' + Date.now());
    } catch (e) { err.textContent = e.message; err.hidden = false; }
  };
  return h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'Sign-in'), err,
    h('p', {}, c.disabled ? 'Disabled: it cannot sign in.' : c.hasSignIn ? 'It can sign in.' : 'It has no password yet: invite it.',
      ' Sync to the ERP: ', h('span', { class: 'badge' }, c.syncState), '. ', h('a', { href: '#/explorer/' + c.id }, 'What may it do?')),
    h('button', { class: 'btn' + (c.disabled ? '' : ' btn-danger'), type: 'button', onclick: toggle }, c.disabled ? 'Enable contact' : 'Disable contact'));
}

export default { id: 'contacts', title: 'Contacts & invitations', group: 'Access', render };
