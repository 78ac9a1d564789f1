// Pages: the site's web pages (path, title, page template, who may open
// it, navigation) and the form that creates or changes one.
import { gql } from '../api.js';
import { h, clear, field, pager, toast, confirmAction, showErrors, clearErrors } from '../ui.js';

const LIST = `{ webPages { path title public inNav navOrder pageTemplate { name } roles { id name } } }`;

async function renderList(el, ctx) {
  const d = await gql(LIST);
  const del = async (p) => {
    if (!await confirmAction(`Delete the page ${p.path} (${p.title})? Visitors then get "page not found" there. Its template stays.`, 'Delete page')) return;
    try {
      await gql(`mutation($p: String!) { deleteWebPage(path: $p) }`, { p: p.path });
      toast(`Deleted ${p.path}.`);
      renderList(el, ctx);
    } catch (err) {
      toast(err.message, 'error');
    }
  };
  const { rows, nav } = pager(d.webPages, (p) => h('tr', {},
    h('td', {}, h('a', { href: '#/pages/edit/' + encodeURIComponent(p.path) }, p.path)),
    h('td', {}, p.title), h('td', {}, p.pageTemplate.name),
    h('td', {}, p.public ? 'everyone' : p.roles.length ? p.roles.map((r) => r.name).join(', ') : 'signed-in contacts'),
    h('td', {}, p.inNav ? 'yes (' + p.navOrder + ')' : 'no'),
    h('td', {}, h('button', { class: 'btn btn-small btn-danger', onclick: () => del(p) }, 'Delete'))));
  clear(el,
    h('div', { class: 'toolbar' }, h('h1', { style: 'margin:0' }, 'Pages'), h('span', { class: 'spacer' }),
      h('a', { class: 'btn btn-primary', href: '#/pages/new' }, 'Create page')),
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Path'), h('th', {}, 'Title'), h('th', {}, 'Page template'),
      h('th', {}, 'Who may open it'), h('th', {}, 'In navigation'), h('th', {}, ''))), rows), nav);
}

async function renderForm(el, ctx, path) {
  const d = await gql(`{ pageTemplates { name webTemplate { name } } webRoles { id name } ${LIST.slice(1, -1)} }`);
  const page = path ? d.webPages.find((p) => p.path === path) : null;
  if (path && !page) {
    clear(el, h('h1', {}, 'Page not found'), h('p', {}, `No page has the path ${path}.`), h('a', { href: '#/pages' }, '← Pages'));
    return;
  }
  const p = page || { path: '', title: '', public: false, inNav: true, navOrder: (Math.max(0, ...d.webPages.map((x) => x.navOrder)) + 1), pageTemplate: { name: '' }, roles: [] };
  const pathIn = h('input', { name: 'path', value: p.path, required: true, placeholder: '/promotions', readonly: !!page });
  const titleIn = h('input', { name: 'title', value: p.title, required: true });
  const tplIn = h('select', { name: 'pageTemplateName', required: true },
    h('option', { value: '' }, '— choose —'),
    d.pageTemplates.map((t) => h('option', { value: t.name, selected: t.name === p.pageTemplate.name }, `${t.name} (web template ${t.webTemplate.name})`)));
  const publicIn = h('input', { type: 'radio', name: 'public', value: 'yes', checked: p.public });
  const rolesRadio = h('input', { type: 'radio', name: 'public', value: 'no', checked: !p.public });
  const roleBoxes = d.webRoles.filter((r) => r.name !== 'Anonymous users').map((r) =>
    h('label', {}, h('input', { type: 'checkbox', name: 'roleIds', value: r.id, checked: p.roles.some((x) => x.id === r.id) }), r.name));
  const navIn = h('input', { type: 'checkbox', name: 'inNav', checked: p.inNav });
  const orderIn = h('input', { type: 'number', name: 'navOrder', value: String(p.navOrder), style: 'width:7em' });
  const form = h('form', { class: 'card', novalidate: true },
    field('Path', pathIn, page ? 'The path of an existing page cannot change: create a new page and delete this one.' : 'Starts with /, e.g. /promotions; {name} matches one segment, e.g. /news/{slug}.'),
    field('Title', titleIn, 'Shown in the navigation and the browser tab.'),
    field('Page template', tplIn, 'Decides how the page looks; a new kind of page needs a new template (Templates → New template).'),
    h('fieldset', { class: 'field' }, h('legend', {}, 'Who may open it'),
      h('label', { class: 'choice' }, publicIn, ' Everyone, also visitors who are not signed in'),
      h('label', { class: 'choice' }, rolesRadio, ' Signed-in contacts with one of these roles (none ticked: every signed-in contact)'),
      h('div', { class: 'checks', style: 'margin-left:22px' }, roleBoxes),
      h('div', { class: 'field-error', hidden: true, 'data-for': 'roleIds' })),
    h('div', { class: 'field' }, h('label', { class: 'choice' }, navIn, ' Show in the site navigation'),
      h('label', { class: 'choice' }, 'Position ', orderIn, h('span', { class: 'muted' }, ' lowest first')),
      h('div', { class: 'field-error', hidden: true, 'data-for': 'navOrder' })),
    h('div', { class: 'actions', style: 'justify-content:flex-start' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, page ? 'Save page' : 'Create page'),
      h('a', { class: 'btn', href: '#/pages' }, 'Cancel'),
      page && !page.path.includes('{') ? h('a', { class: 'btn', href: page.path, target: '_blank', rel: 'noopener' }, 'Open on the site ↗') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const input = {
      path: pathIn.value.trim(), title: titleIn.value, pageTemplateName: tplIn.value, public: publicIn.checked,
      roleIds: publicIn.checked ? [] : roleBoxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value),
      inNav: navIn.checked, navOrder: parseInt(orderIn.value || '0', 10),
    };
    try {
      await gql(`mutation($input: WebPageInput!) { saveWebPage(input: $input) { path } }`, { input });
      toast(page ? `Saved ${input.path}.` : `Created ${input.path}.`);
      ctx.navigate('pages');
    } catch (err) {
      showErrors(form, err);
    }
  });
  clear(el, h('div', { class: 'toolbar' }, h('a', { href: '#/pages' }, '← Pages')), h('h1', {}, page ? `Page ${page.path}` : 'Create page'), form);
  (page ? titleIn : pathIn).focus();
}

export default {
  id: 'pages',
  title: 'Pages',
  group: 'Site',
  async render(el, ctx) {
    if (ctx.params[0] === 'new') return renderForm(el, ctx, '');
    if (ctx.params[0] === 'edit' && ctx.params[1]) return renderForm(el, ctx, ctx.params[1]);
    return renderList(el, ctx);
  },
};
