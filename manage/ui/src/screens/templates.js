// Templates: the lists of web templates, page templates and web pages, and
// the web template editor (source and live preview side by side, errors at
// their line, history with a diff and rollback).
import { gql } from '../api.js';
import { h, clear, pager, toast, confirmAction, showErrors, clearErrors } from '../ui.js';
import { createEditor } from '../editor.js';
import { diffLines, hunks } from '../diff.js';

const LISTS = `{
  webTemplates { name version updatedAt edited defaultSource }
  pageTemplates { name webTemplate { name } }
  webPages { path title public inNav navOrder pageTemplate { name } roles { name } }
}`;

function fmtTime(s) {
  return s ? new Date(s).toLocaleString() : '';
}

async function renderLists(el, ctx) {
  const tab = ctx.params[0] === 'page-templates' || ctx.params[0] === 'pages' ? ctx.params[0] : 'web';
  const d = await gql(LISTS);
  const tabs = [['web', 'Web templates'], ['page-templates', 'Page templates'], ['pages', 'Web pages']];
  const body = h('div');
  clear(el,
    h('h1', {}, 'Templates'),
    h('p', { class: 'muted' }, 'Web templates are the pongo2 sources of the site; a page template names the web template that renders a kind of page; a web page puts a page template at a path.'),
    h('div', { class: 'tabs', role: 'tablist' }, tabs.map(([id, label]) =>
      h('button', { role: 'tab', 'aria-selected': String(id === tab), onclick: () => ctx.navigate('templates/' + (id === 'web' ? '' : id)) }, label))),
    body);
  if (tab === 'web') {
    const nameIn = h('input', { name: 'name', placeholder: 'Promotions', 'aria-label': 'New template name', style: 'width:14em' });
    const newForm = h('form', { class: 'toolbar' }, h('span', { class: 'spacer' }), nameIn,
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'New template'),
      h('div', { class: 'field-error', hidden: true, 'data-for': 'name' }));
    newForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(newForm);
      const name = nameIn.value.trim();
      try {
        // A new template starts as a page of the Layout, with a page
        // template of the same name, so a page can use it at once.
        await gql(`mutation($n: String!, $s: String!) { saveWebTemplate(name: $n, source: $s) { name } savePageTemplate(input: {name: $n, webTemplateName: $n}) { name } }`,
          { n: name, s: `{% extends "Layout" %}\n{% block content %}\n<p>Write the page here.</p>\n{% endblock %}\n` });
        toast(`Created template ${name} and page template ${name}.`);
        ctx.navigate('templates/edit/' + encodeURIComponent(name));
      } catch (err) {
        showErrors(newForm, err);
      }
    });
    const { rows, nav } = pager(d.webTemplates, (t) => h('tr', {},
      h('td', {}, h('a', { href: '#/templates/edit/' + encodeURIComponent(t.name) }, t.name)),
      h('td', {}, 'v' + t.version),
      h('td', {}, fmtTime(t.updatedAt)),
      h('td', {}, t.edited ? h('span', { class: 'badge' }, 'edited') : h('span', { class: 'muted' }, 'as shipped'),
        ' ', t.defaultSource != null && t.edited ? h('span', { class: 'badge badge-warn', title: 'This release ships a different default' }, 'new default available') : null)));
    clear(body, newForm, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Version'), h('th', {}, 'Saved'), h('th', {}, 'State'))), rows), nav);
  } else if (tab === 'page-templates') {
    const ptName = h('input', { name: 'name', placeholder: 'Promotions', 'aria-label': 'Page template name', style: 'width:14em' });
    const ptWeb = h('select', { name: 'webTemplateName', 'aria-label': 'Web template' },
      d.webTemplates.map((w) => h('option', { value: w.name }, w.name)));
    const ptForm = h('form', { class: 'toolbar' }, h('span', { class: 'spacer' }), ptName, ' rendered by ', ptWeb,
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save page template'),
      h('div', { class: 'field-error', hidden: true, 'data-for': 'name' }), h('div', { class: 'field-error', hidden: true, 'data-for': 'webTemplateName' }));
    ptForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(ptForm);
      const name = ptName.value.trim();
      const old = d.pageTemplates.find((p) => p.name === name);
      if (old && old.webTemplate.name !== ptWeb.value &&
        !await confirmAction(`Pages of the kind ${name} are rendered by ${old.webTemplate.name}. Render them by ${ptWeb.value} instead?`, 'Repoint')) return;
      try {
        await gql(`mutation($input: PageTemplateInput!) { savePageTemplate(input: $input) { name } }`, { input: { name, webTemplateName: ptWeb.value } });
        toast(`Saved page template ${name}.`);
        renderLists(el, ctx);
      } catch (err) {
        showErrors(ptForm, err);
      }
    });
    const { rows, nav } = pager(d.pageTemplates, (p) => h('tr', {},
      h('td', {}, h('a', { href: '#', onclick: (e) => { e.preventDefault(); ptName.value = p.name; ptWeb.value = p.webTemplate.name; ptName.focus(); } }, p.name)),
      h('td', {}, h('a', { href: '#/templates/edit/' + encodeURIComponent(p.webTemplate.name) }, p.webTemplate.name))));
    clear(body, ptForm, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Page template'), h('th', {}, 'Rendered by web template'))), rows), nav);
  } else {
    const { rows, nav } = pager(d.webPages, (p) => h('tr', {},
      h('td', {}, h('a', { href: '#/pages/edit/' + encodeURIComponent(p.path) }, p.path)),
      h('td', {}, p.title),
      h('td', {}, p.pageTemplate.name),
      h('td', {}, p.public ? 'everyone' : p.roles.length ? p.roles.map((r) => r.name).join(', ') : 'signed-in contacts'),
      h('td', {}, p.inNav ? 'yes (' + p.navOrder + ')' : 'no')));
    clear(body,
      h('div', { class: 'toolbar' }, h('span', { class: 'spacer' }), h('a', { class: 'btn btn-primary', href: '#/pages/new' }, 'Create page')),
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Path'), h('th', {}, 'Title'), h('th', {}, 'Page template'), h('th', {}, 'Who may open it'), h('th', {}, 'In navigation'))), rows), nav);
  }
}

const TEMPLATE = `query($name: String!) {
  webTemplate(name: $name) { name source version updatedAt edited defaultSource history(first: 100) { version source savedAt } }
  webPages { path title pageTemplate { name webTemplate { name } } }
  contacts(first: 100) { edges { node { id firstName lastName email } } }
}`;

const PREVIEW = `query($name: String!, $source: String!, $path: String!, $as: ID) {
  previewTemplateEdit(name: $name, source: $source, path: $path, asContactId: $as) { html }
}`;

let dirty = false;
function beforeUnload(e) {
  if (dirty) { e.preventDefault(); e.returnValue = ''; }
}

async function renderEditor(el, ctx, name) {
  const d = await gql(TEMPLATE, { name });
  const t = d.webTemplate;
  if (!t) {
    clear(el, h('h1', {}, name), h('div', { class: 'form-error' }, `There is no web template named ${name}.`), h('a', { href: '#/templates' }, '← Templates'));
    return;
  }
  dirty = false;
  // Pages rendered by this template directly come first; any page can
  // preview a layout or an included template.
  const own = d.webPages.filter((p) => p.pageTemplate.webTemplate.name === name);
  const pages = [...own, ...d.webPages.filter((p) => !own.includes(p) && !p.path.includes('{'))];
  const pageSel = h('select', { name: 'path', 'aria-label': 'Preview page' },
    pages.map((p) => h('option', { value: p.path }, `${p.path} — ${p.title}`)));
  const asSel = h('select', { name: 'as', 'aria-label': 'Preview as' });
  const fillContacts = (edges) => {
    const keep = asSel.value;
    clear(asSel, h('option', { value: '' }, 'as me (administrator)'),
      edges.map(({ node: c }) => h('option', { value: c.id }, `as ${c.firstName} ${c.lastName} <${c.email}>`)));
    if ([...asSel.options].some((o) => o.value === keep)) asSel.value = keep;
  };
  fillContacts(d.contacts.edges);
  // The list holds the first 100 contacts; a search finds the others.
  let findTimer;
  const findIn = h('input', { type: 'search', placeholder: 'find a contact…', 'aria-label': 'Find a contact to preview as', style: 'width:12em',
    oninput: () => {
      clearTimeout(findTimer);
      findTimer = setTimeout(async () => {
        const r = await gql(`query($s: String) { contacts(search: $s, first: 100) { edges { node { id firstName lastName email } } } }`, { s: findIn.value.trim() || null });
        fillContacts(r.contacts.edges);
      }, 300);
    } });
  const status = h('div', { class: 'form-error', role: 'alert', hidden: true, id: 'template-error' });
  const versionBadge = h('span', { class: 'badge' });
  const dirtyBadge = h('span', { class: 'badge badge-warn', hidden: true }, 'unsaved changes');
  const frame = h('iframe', { class: 'preview-frame', title: 'Preview', sandbox: '' });
  const edPane = h('div', { class: 'editor-pane' });
  const side = h('div', { class: 'editor-pane' }, frame);
  const histBox = h('div', { class: 'card', hidden: true });
  let source = t.source, version = t.version, history = t.history;
  const setVersion = () => { versionBadge.textContent = 'v' + version; };
  setVersion();

  const showError = (err) => {
    const e = err.errors?.[0] || { message: String(err.message || err) };
    const ext = e.extensions || {};
    status.hidden = false;
    if (ext.line && (!ext.template || ext.template === name)) {
      // The message starts "Home, line 4, column 45: …": say it once.
      status.textContent = `Line ${ext.line}${ext.column ? ', column ' + ext.column : ''}: ${e.message.replace(/^.*?line \d+(, column \d+)?: /, '')}`;
      editor.markError(ext.line, ext.column, e.message);
    } else {
      status.textContent = e.message;
      editor.clearErrors();
    }
  };
  const ok = () => { status.hidden = true; status.textContent = ''; editor.clearErrors(); };

  let seq = 0;
  const preview = async () => {
    if (!pageSel.value) return;
    const mine = ++seq;
    try {
      const r = await gql(PREVIEW, { name, source: editor.value(), path: pageSel.value, as: asSel.value || null });
      if (mine !== seq) return;
      ok();
      frame.srcdoc = r.previewTemplateEdit.html;
    } catch (err) {
      if (mine === seq) showError(err);
    }
  };
  let timer;
  const schedule = () => { clearTimeout(timer); timer = setTimeout(preview, 600); };
  const save = async () => {
    try {
      const r = await gql(`mutation($name: String!, $source: String!) { saveWebTemplate(name: $name, source: $source) { version source history(first: 100) { version source savedAt } } }`,
        { name, source: editor.value() });
      ok();
      ({ source, version, history } = r.saveWebTemplate);
      setVersion();
      markDirty();
      toast(`Saved ${name} as version ${version}.`);
      if (!histBox.hidden) showHistory();
    } catch (err) {
      showError(err);
      toast('Not saved: ' + (err.errors?.[0]?.message || err.message), 'error');
    }
    return true;
  };
  const markDirty = () => {
    dirty = editor.value() !== source;
    dirtyBadge.hidden = !dirty;
  };
  const editor = createEditor(edPane, t.source, {
    onChange: () => { markDirty(); schedule(); },
    keys: [{ key: 'Mod-s', preventDefault: true, run: () => { save(); return true; } },
      { key: 'Mod-Enter', run: () => { preview(); return true; } }],
  });

  edPane.editor = editor; // for the browser tests
  const showHistory = () => {
    histBox.hidden = false;
    const versions = [{ version, source, savedAt: null, current: true }, ...history];
    // The default this release ships, when it differs: compare before adopting it.
    if (t.defaultSource != null) versions.push({ version: 'default', source: t.defaultSource, shipped: true });
    const opt = (v) => h('option', { value: v.version }, v.shipped ? 'shipped default' : `v${v.version}${v.current ? ' (current)' : ' — ' + fmtTime(v.savedAt)}`);
    const fromSel = h('select', { 'aria-label': 'Compare from' }, versions.map(opt));
    const toSel = h('select', { 'aria-label': 'Compare to' }, versions.map(opt));
    if (versions.length > 1) fromSel.value = String(versions[1].version);
    const diffBox = h('div', { class: 'diff', id: 'diff' });
    const showDiff = () => {
      const a = versions.find((v) => String(v.version) === fromSel.value).source;
      const b = versions.find((v) => String(v.version) === toSel.value).source;
      const hs = hunks(diffLines(a, b));
      clear(diffBox, hs.length && hs.some((x) => x.op !== '@') ?
        hs.map((x) => h('div', { class: { '+': 'add', '-': 'del', '@': 'hunk', ' ': '' }[x.op] }, (x.op === '@' ? '' : x.op + ' ') + x.text)) :
        h('div', { class: 'hunk' }, 'The two versions are the same.'));
    };
    fromSel.onchange = toSel.onchange = showDiff;
    const rollback = async (v) => {
      if (!await confirmAction(`Make version ${v} the current source of ${name}? The current version stays in the history.${dirty ? ' Your unsaved changes are lost.' : ''}`, `Roll back to v${v}`)) return;
      try {
        const r = await gql(`mutation($name: String!, $v: Int!) { rollbackWebTemplate(name: $name, version: $v) { version source history(first: 100) { version source savedAt } } }`, { name, v });
        ({ source, version, history } = r.rollbackWebTemplate);
        editor.setValue(source);
        setVersion();
        markDirty();
        ok();
        toast(`Rolled back: version ${v} is now version ${version}.`);
        showHistory();
        preview();
      } catch (err) {
        showError(err);
      }
    };
    const { rows, nav } = pager(history, (v) => h('tr', {},
      h('td', {}, 'v' + v.version), h('td', {}, fmtTime(v.savedAt)),
      h('td', {}, h('button', { class: 'btn btn-small', onclick: () => { fromSel.value = String(v.version); toSel.value = String(version); showDiff(); } }, 'Compare with current'), ' ',
        h('button', { class: 'btn btn-small btn-danger', 'data-rollback': v.version, onclick: () => rollback(v.version) }, 'Roll back to this'))), 10);
    clear(histBox,
      h('div', { class: 'toolbar' }, h('h2', { style: 'margin:0' }, 'History'), h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-small', onclick: () => { histBox.hidden = true; } }, 'Close')),
      t.defaultSource != null ? h('div', { class: 'toolbar' },
        h('span', { class: 'badge badge-warn' }, 'This release ships a different default for this template.'),
        h('button', { class: 'btn btn-small', onclick: () => { fromSel.value = String(version); toSel.value = 'default'; showDiff(); } }, 'Compare current with the default'),
        h('button', { class: 'btn btn-small', onclick: async () => {
          if (dirty && !await confirmAction('Replace your unsaved changes in the editor with the shipped default?', 'Replace')) return;
          editor.setValue(t.defaultSource);
          toast('The shipped default is in the editor: check the preview, then Save to adopt it.');
        } }, 'Load the default into the editor')) : null,
      versions.length > 1 ? [h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Saved'), h('th', {}, ''))), rows), nav,
        h('div', { class: 'toolbar' }, 'Compare ', fromSel, ' with ', toSel), diffBox] :
        h('p', { class: 'muted' }, 'No earlier versions yet: every save keeps the one before.'));
    if (versions.length > 1) showDiff();
  };

  pageSel.onchange = preview;
  asSel.onchange = preview;
  clear(el,
    h('div', { class: 'toolbar' },
      h('a', { href: '#/templates' }, '← Templates'),
      h('h1', { style: 'margin:0 8px' }, name), versionBadge, dirtyBadge,
      t.edited ? null : h('span', { class: 'badge' }, 'as shipped'),
      h('span', { class: 'spacer' }),
      h('button', { class: 'btn', id: 'history', 'aria-expanded': 'false', onclick: (e) => {
        if (histBox.hidden) showHistory(); else histBox.hidden = true;
        e.currentTarget.setAttribute('aria-expanded', String(!histBox.hidden));
      } }, 'History'),
      h('button', { class: 'btn btn-danger', onclick: async () => {
        if (!await confirmAction(`Delete the web template ${name} and its history? Refused while a page template uses it or another template includes or extends it.`, 'Delete template')) return;
        try {
          await gql(`mutation($n: String!) { deleteWebTemplate(name: $n) }`, { n: name });
          dirty = false;
          toast(`Deleted ${name}.`);
          ctx.navigate('templates');
        } catch (err) {
          showError(err);
        }
      } }, 'Delete'),
      h('button', { class: 'btn', title: 'Ctrl+Enter', onclick: preview }, 'Check & preview'),
      h('button', { class: 'btn btn-primary', id: 'save', title: 'Ctrl+S', onclick: save }, 'Save')),
    h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, 'Preview'), pageSel, asSel, findIn,
      h('span', { class: 'muted' }, 'Ctrl+F search · Ctrl+S save · Ctrl+Enter check')),
    status, histBox,
    h('div', { class: 'editor-split' }, edPane, side));
  window.addEventListener('beforeunload', beforeUnload);
  editor.focus();
  preview();
}

export default {
  id: 'templates',
  title: 'Templates',
  group: 'Site',
  async render(el, ctx) {
    if (ctx.params[0] === 'edit' && ctx.params[1]) return renderEditor(el, ctx, ctx.params[1]);
    return renderLists(el, ctx);
  },
  canLeave() {
    return dirty ? confirmAction('The template has unsaved changes. Leave and lose them?', 'Leave without saving') : true;
  },
  leave() {
    window.removeEventListener('beforeunload', beforeUnload);
    dirty = false;
  },
};
