// Roles & table permissions: web roles with their members (create, rename,
// delete, assign, remove) and the table permissions that give roles their
// rights (table, scope, privileges, roles, parent), with help on every
// scope and privilege. The server's lock-out guards (Administrators keep
// control of roles and permissions, the last administrator stays) answer
// CONFLICT with a sentence, shown where the change was asked for.
import './access.css';
import { gql } from '../api.js';
import { h, clear, field, toast, confirmAction, showErrors, clearErrors, pager } from '../ui.js';
import { serverList, contactPicker, plainFields, group, checks } from './lists.js';

export const SCOPE_HELP = {
  GLOBAL: 'every row of the table, whoever it belongs to',
  ACCOUNT: "rows of the contact's own customer account (e.g. every order of its company's account)",
  CONTACT: 'rows the contact owns itself (e.g. orders it placed)',
  SELF: "the contact's own contact row only",
  PARENT: 'rows reached through the parent permission (e.g. lines of the orders the parent lets it read)',
};
export const PRIVILEGE_HELP = {
  READ: 'see the rows',
  CREATE: 'make new rows',
  WRITE: 'change existing rows',
  DELETE: 'remove rows',
  APPEND: 'attach these rows to a parent row (e.g. a line to its order)',
  APPEND_TO: 'let other rows be attached to these rows (e.g. lines to an order)',
};
const PRIVILEGES = Object.keys(PRIVILEGE_HELP);
const IMPLICIT = ['Authenticated users', 'Anonymous users'];

async function render(el, ctx) {
  const tab = ctx.params[0] === 'permissions' ? 'permissions' : 'roles';
  const tabs = h('div', { class: 'tabs', role: 'tablist' },
    h('button', { role: 'tab', 'aria-selected': String(tab === 'roles'), onclick: () => ctx.navigate('roles') }, 'Web roles'),
    h('button', { role: 'tab', 'aria-selected': String(tab === 'permissions'), onclick: () => ctx.navigate('roles/permissions') }, 'Table permissions'));
  const body = h('div');
  clear(el, h('h1', {}, 'Roles & table permissions'),
    h('p', { class: 'muted' }, 'Contacts get rights through web roles; a role gets rights through table permissions. Changes apply on the contact\'s next request.'),
    tabs, body);
  if (tab === 'roles') await renderRoles(body, ctx, ctx.params[0]);
  else await renderPermissions(body, ctx, ctx.params[1]);
}

async function renderRoles(el, ctx, selected) {
  const d = await gql(`{ webRoles { id name description builtIn members(first: 0) { totalCount } } }`);
  const role = d.webRoles.find((r) => r.id === selected);
  const createName = h('input', { name: 'name', required: true, placeholder: 'e.g. Buyers' });
  const createDesc = h('input', { name: 'description', placeholder: 'what the role is for' });
  const create = h('form', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'New role'),
    field('Name', createName), field('Description', createDesc),
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Create role'));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(create);
    try {
      const r = await gql(`mutation($i: WebRoleInput!) { createWebRole(input: $i) { id name } }`,
        { i: { name: createName.value, description: createDesc.value } });
      toast(`Created role ${r.createWebRole.name}.`);
      ctx.navigate('roles/' + r.createWebRole.id);
    } catch (err) { showErrors(create, err); }
  });
  let roleRows;
  const list = h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Role'), h('th', {}, 'Members'), h('th', {}, 'Description'))),
    (roleRows = pager(d.webRoles, (r) => h('tr', { class: r === role ? 'selected' : '' },
      h('td', {}, h('a', { href: '#/roles/' + r.id }, r.name), r.builtIn ? [' ', h('span', { class: 'badge' }, 'built in')] : null),
      h('td', {}, IMPLICIT.includes(r.name) ? h('span', { class: 'muted' }, 'everyone ' + (r.name.startsWith('Anon') ? 'not signed in' : 'signed in')) : String(r.members.totalCount)),
      h('td', {}, r.description)))).rows);
  clear(el, h('div', { class: 'split' }, h('div', {}, list, roleRows.nav, create), role ? roleDetail(role, ctx) : h('p', { class: 'muted' }, 'Pick a role to rename it, delete it or change its members.')));
}

function roleDetail(role, ctx) {
  const name = h('input', { name: 'name', value: role.name, required: true });
  const desc = h('input', { name: 'description', value: role.description });
  const form = h('form', { class: 'card' }, h('h2', { style: 'margin-top:0' }, role.name),
    field('Name', name, role.builtIn ? 'Built-in roles keep their names: the site refers to them.' : null),
    field('Description', desc),
    h('div', { class: 'actions', style: 'justify-content:flex-start' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save role'),
      role.builtIn ? h('span', { class: 'muted' }, 'Built-in roles cannot be deleted.')
        : h('button', { class: 'btn btn-danger', type: 'button', onclick: del }, 'Delete role')));
  if (role.builtIn) name.readOnly = true;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await gql(`mutation($id: ID!, $i: WebRoleInput!) { updateWebRole(id: $id, input: $i) { id } }`,
        { id: role.id, i: { name: name.value, description: desc.value } });
      toast('Saved role.');
      ctx.navigate('roles/' + role.id + '/' + Date.now());
    } catch (err) { showErrors(form, err); }
  });
  async function del() {
    if (!await confirmAction(`Delete the role ${role.name}? Its ${role.members.totalCount} members lose it and the rights it gave them; its table permissions stay.`, 'Delete role')) return;
    try {
      await gql(`mutation($id: ID!) { deleteWebRole(id: $id) }`, { id: role.id });
      toast(`Deleted role ${role.name}.`);
      ctx.navigate('roles');
    } catch (err) { showErrors(form, err); }
  }
  if (IMPLICIT.includes(role.name)) {
    return h('div', {}, form, h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'Members'),
      h('p', { class: 'muted' }, `Nobody is assigned ${role.name}: it applies to every ${role.name.startsWith('Anon') ? 'visitor who is not signed in' : 'signed-in contact'}.`)));
  }
  const memberError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const members = serverList({
    head: ['Name', 'Email', ''],
    empty: 'No members yet.',
    load: async (first, after) => (await gql(`query($first: Int, $after: String) { webRoles { id members(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id firstName lastName email } } } } }`, { first, after }))
      .webRoles.find((r) => r.id === role.id).members,
    row: (c) => h('tr', {}, h('td', {}, `${c.firstName} ${c.lastName}`), h('td', {}, c.email),
      h('td', {}, h('button', { class: 'btn btn-small btn-danger', type: 'button', onclick: () => remove(c) }, 'Remove'))),
  });
  async function remove(c) {
    if (!await confirmAction(`Take the role ${role.name} from ${c.email}? It loses the rights the role gives on its next request.`, 'Remove')) return;
    try {
      await gql(`mutation($c: ID!, $r: ID!) { unassignWebRole(contactId: $c, roleId: $r) { id } }`, { c: c.id, r: role.id });
      memberError.hidden = true;
      toast(`${c.email} no longer holds ${role.name}.`);
      members.reload();
    } catch (err) { memberError.textContent = err.message; memberError.hidden = false; }
  }
  const picker = contactPicker({
    label: 'Add a member',
    onPick: async (c) => {
      try {
        await gql(`mutation($c: ID!, $r: ID!) { assignWebRole(contactId: $c, roleId: $r) { id } }`, { c: c.id, r: role.id });
        memberError.hidden = true;
        toast(`${c.email} now holds ${role.name}.`);
        members.reload();
      } catch (err) { memberError.textContent = err.message; memberError.hidden = false; }
    },
  });
  return h('div', {}, form, h('div', { class: 'card' }, h('h2', { style: 'margin-top:0' }, 'Members'), memberError,
    h('div', { class: 'field' }, h('span', { class: 'group-label' }, 'Add a member'), picker), members.el));
}

async function renderPermissions(el, ctx, selected) {
  const d = await gql(`{ permissionTables { name noun scopes parent } webRoles { id name }
    tablePermissions { id name table scope privileges roles { id name } parent { id name } } }`);
  const perm = selected === 'new' ? null : d.tablePermissions.find((p) => p.id === selected);
  // The list is long: it shows one table's permissions, the selected one's
  // table to begin with.
  const only = h('select', { 'aria-label': 'Show the permissions of', name: 'showTable' }, h('option', { value: '' }, 'every table'),
    d.permissionTables.map((t) => h('option', { value: t.name, selected: perm?.table === t.name }, t.name)));
  const listBox = h('div');
  const showList = () => {
    const { rows, nav } = pager(d.tablePermissions.filter((p) => !only.value || p.table === only.value), (p) => h('tr', { class: p === perm ? 'selected' : '' },
      h('td', {}, h('a', { href: '#/roles/permissions/' + p.id }, p.name)),
      h('td', {}, p.table), h('td', {}, h('span', { class: 'badge', title: SCOPE_HELP[p.scope] }, p.scope)),
      h('td', {}, p.privileges.join(', ')), h('td', {}, p.roles.map((r) => r.name).join(', ') || h('span', { class: 'muted' }, 'no role')),
      h('td', {}, p.parent ? p.parent.name : '')));
    clear(listBox, h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ['Permission', 'Table', 'Scope', 'Privileges', 'Roles', 'Parent'].map((t) => h('th', {}, t)))),
      rows), nav);
  };
  only.addEventListener('change', showList);
  showList();
  clear(el, h('div', { class: 'toolbar' }, h('a', { class: 'btn btn-primary', href: '#/roles/permissions/new' }, 'New table permission'), h('span', { class: 'spacer' }),
    h('label', {}, 'Show ', only)),
    selected ? permissionForm(perm, d, ctx) : null, listBox);
}

function permissionForm(perm, d, ctx) {
  const p = perm || { name: '', table: 'sales_order', scope: 'CONTACT', privileges: ['READ'], roles: [], parent: null };
  const name = h('input', { name: 'name', value: p.name, required: true, placeholder: 'e.g. Orders of my account' });
  const table = h('select', { name: 'table' }, d.permissionTables.map((t) => h('option', { value: t.name, selected: t.name === p.table }, `${t.name} (${t.noun})`)));
  const scope = h('select', { name: 'scope' });
  const scopeHelp = h('div', { class: 'hint' });
  const parent = h('select', { name: 'parentId' });
  const parentRow = field('Parent permission', parent, 'A PARENT permission reaches the rows under the rows its parent permission reaches.');
  const privs = checks('privileges', PRIVILEGES.map((v) => ({ value: v, label: v, help: PRIVILEGE_HELP[v] })), p.privileges);
  const roles = checks('roleIds', d.webRoles.map((r) => ({ value: r.id, label: r.name })), p.roles.map((r) => r.id));
  const sync = () => {
    const t = d.permissionTables.find((x) => x.name === table.value);
    const cur = scope.value || p.scope;
    clear(scope, t.scopes.map((s) => h('option', { value: s, selected: s === cur }, s)));
    scopeHelp.textContent = SCOPE_HELP[scope.value] || '';
    const parents = d.tablePermissions.filter((x) => x.table === t.parent);
    clear(parent, h('option', { value: '' }, '—'), parents.map((x) => h('option', { value: x.id, selected: p.parent?.id === x.id }, `${x.name} (${x.scope})`)));
    parentRow.style.display = scope.value === 'PARENT' ? '' : 'none'; // .field's display would override hidden
  };
  table.addEventListener('change', sync);
  scope.addEventListener('change', sync);
  const help = h('dl', { class: 'help' }, PRIVILEGES.map((v) => [h('dt', {}, v), h('dd', {}, PRIVILEGE_HELP[v])]));
  const scopeList = h('dl', { class: 'help' }, Object.entries(SCOPE_HELP).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const sf = field('Scope', scope);
  sf.insertBefore(scopeHelp, sf.querySelector('.field-error'));
  const form = h('form', { class: 'card' },
    h('h2', { style: 'margin-top:0' }, perm ? `Table permission ${perm.name}` : 'New table permission'),
    h('div', {},
      field('Name', name), field('Table', table, 'The table whose rows it governs.'), sf,
      h('details', {}, h('summary', {}, 'What each scope means'), scopeList),
      parentRow,
      group('Privileges', 'privileges', privs), h('details', {}, h('summary', {}, 'What each privilege means'), help),
      group('Roles', 'roleIds', roles, 'Contacts holding any of these roles get the permission.')),
    h('div', { class: 'actions', style: 'justify-content:flex-start' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save permission'),
      perm ? h('button', { class: 'btn btn-danger', type: 'button', onclick: del }, 'Delete permission') : null,
      h('a', { class: 'btn', href: '#/roles/permissions' }, 'Close')));
  sync();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const input = { name: name.value, table: table.value, scope: scope.value, privileges: privs.values(), roleIds: roles.values(),
      parentId: scope.value === 'PARENT' && parent.value ? parent.value : null };
    if (perm) input.id = perm.id;
    try {
      const r = await gql(`mutation($i: TablePermissionInput!) { saveTablePermission(input: $i) { id name } }`, { i: input });
      toast(`Saved ${r.saveTablePermission.name}; it applies from each contact's next request.`);
      ctx.navigate('roles/permissions/' + r.saveTablePermission.id + '/' + Date.now());
    } catch (err) { showErrors(form, plainFields(err)); }
  });
  async function del() {
    if (!await confirmAction(`Delete the table permission ${perm.name}? The roles holding it lose what it allows at once.`, 'Delete permission')) return;
    try {
      await gql(`mutation($id: ID!) { deleteTablePermission(id: $id) }`, { id: perm.id });
      toast(`Deleted ${perm.name}.`);
      ctx.navigate('roles/permissions');
    } catch (err) { showErrors(form, err); }
  }
  return form;
}

export default { id: 'roles', title: 'Roles & permissions', group: 'Access', render };
