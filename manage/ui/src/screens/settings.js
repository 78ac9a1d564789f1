// Site settings: named site-wide values templates read as settings.<name>
// (site name, company name…).
import { gql } from '../api.js';
import { h, clear, field, pager, toast, confirmAction, showErrors, clearErrors } from '../ui.js';

async function render(el, ctx) {
  const d = await gql(`{ siteSettings { name value } }`);
  const editing = ctx.params[0] === 'edit' ? d.siteSettings.find((s) => s.name === ctx.params[1]) : null;
  const s = editing || { name: '', value: '' };
  const nameIn = h('input', { name: 'name', value: s.name, required: true, readonly: !!editing, placeholder: 'site_name' });
  const valueIn = h('input', { name: 'value', value: s.value });
  const form = h('form', { class: 'card' },
    h('h2', { style: 'margin-top:0' }, editing ? `Setting ${s.name}` : 'New setting'),
    field('Name', nameIn, 'Templates read it as {{ settings.' + (s.name || 'name') + ' }}.'),
    field('Value', valueIn),
    h('div', { class: 'actions', style: 'justify-content:flex-start' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, editing ? 'Save setting' : 'Add setting'),
      editing ? h('a', { class: 'btn', href: '#/settings' }, 'New setting') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const clash = !editing && d.siteSettings.find((x) => x.name === nameIn.value.trim());
    if (clash && !await confirmAction(`The setting ${clash.name} exists already (value "${clash.value}"). Replace it?`, 'Replace')) return;
    try {
      await gql(`mutation($n: String!, $v: String!) { saveSiteSetting(name: $n, value: $v) { name } }`, { n: nameIn.value.trim(), v: valueIn.value });
      toast(`Saved ${nameIn.value.trim()}; the site shows it now.`);
      ctx.navigate('settings/edit/' + encodeURIComponent(nameIn.value.trim()));
    } catch (err) {
      showErrors(form, err);
    }
  });
  const { rows, nav } = pager(d.siteSettings, (x) => h('tr', { class: x === editing ? 'selected' : '' },
    h('td', {}, h('a', { href: '#/settings/edit/' + encodeURIComponent(x.name) }, x.name)), h('td', {}, x.value)));
  clear(el, h('h1', {}, 'Site settings'), form,
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Value'))), rows), nav);
  (editing ? valueIn : nameIn).focus();
}

export default { id: 'settings', title: 'Site settings', group: 'Site', render };
