// Snippets: site text per language that templates read as
// snippets.<name>, and site settings (settings.<name>): a list and a form.
import { gql } from '../api.js';
import { h, clear, field, pager, toast, confirmAction, showErrors, clearErrors } from '../ui.js';

async function render(el, ctx) {
  const d = await gql(`{ contentSnippets { name language value } }`);
  const editing = ctx.params[0] === 'edit' ? d.contentSnippets.find((s) => s.name === ctx.params[1] && s.language === (ctx.params[2] || '')) : null;
  const s = editing || { name: '', language: '', value: '' };
  const nameIn = h('input', { name: 'name', value: s.name, required: true, readonly: !!editing, placeholder: 'footer' });
  const langIn = h('input', { name: 'language', value: s.language, readonly: !!editing, placeholder: 'empty: every language', style: 'width:12em' });
  const valueIn = h('textarea', { name: 'value', rows: 5 }, s.value);
  const form = h('form', { class: 'card' },
    h('h2', { style: 'margin-top:0' }, editing ? `Snippet ${s.name}${s.language ? ' (' + s.language + ')' : ''}` : 'New snippet'),
    field('Name', nameIn, 'Templates show it with {{ snippets.' + (s.name || 'name') + ' }}.'),
    field('Language', langIn, 'BCP 47, e.g. de or de-CH; a visitor gets the snippet of their language, else the one without a language.'),
    field('Text', valueIn, 'Shown as text; HTML is escaped unless the template marks it safe.'),
    h('div', { class: 'actions', style: 'justify-content:flex-start' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, editing ? 'Save snippet' : 'Add snippet'),
      editing ? h('a', { class: 'btn', href: '#/snippets' }, 'New snippet') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const clash = !editing && d.contentSnippets.find((x) => x.name === nameIn.value.trim() && x.language === langIn.value.trim());
    if (clash && !await confirmAction(`A snippet ${clash.name}${clash.language ? ' (' + clash.language + ')' : ''} exists already ("${clash.value.slice(0, 60)}"). Replace its text?`, 'Replace')) return;
    try {
      await gql(`mutation($n: String!, $l: String, $v: String!) { saveContentSnippet(name: $n, language: $l, value: $v) { name } }`,
        { n: nameIn.value.trim(), l: langIn.value.trim(), v: valueIn.value });
      toast(`Saved snippet ${nameIn.value.trim()}.`);
      ctx.navigate('snippets/edit/' + encodeURIComponent(nameIn.value.trim()) + '/' + encodeURIComponent(langIn.value.trim()));
    } catch (err) {
      showErrors(form, err);
    }
  });
  const del = async (x) => {
    if (!await confirmAction(`Delete the snippet ${x.name}${x.language ? ' (' + x.language + ')' : ''}? Templates that show it then show nothing there.`, 'Delete snippet')) return;
    try {
      await gql(`mutation($n: String!, $l: String) { deleteContentSnippet(name: $n, language: $l) }`, { n: x.name, l: x.language });
      toast(`Deleted snippet ${x.name}.`);
      ctx.navigate('snippets');
      render(el, { ...ctx, params: [] });
    } catch (err) {
      toast(err.message, 'error');
    }
  };
  const { rows, nav } = pager(d.contentSnippets, (x) => h('tr', { class: x === editing ? 'selected' : '' },
    h('td', {}, h('a', { href: `#/snippets/edit/${encodeURIComponent(x.name)}/${encodeURIComponent(x.language)}` }, x.name)),
    h('td', {}, x.language || h('span', { class: 'muted' }, 'every')),
    h('td', {}, x.value.length > 90 ? x.value.slice(0, 90) + '…' : x.value),
    h('td', {}, h('button', { class: 'btn btn-small btn-danger', onclick: () => del(x) }, 'Delete'))));
  clear(el, h('h1', {}, 'Snippets'),
    h('p', { class: 'muted' }, 'Short site texts (footer, welcome line) you change without touching a template.'),
    form,
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Language'), h('th', {}, 'Text'), h('th', {}, ''))), rows), nav);
  (editing ? valueIn : nameIn).focus();
}

export default { id: 'snippets', title: 'Snippets', group: 'Site', render };
