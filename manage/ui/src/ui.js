// Small DOM helpers every screen uses: h() builds elements, showErrors()
// puts GraphQL errors next to their fields, confirmAction() asks before
// anything destructive, toast() says what happened, pager() pages a list.

/** h('button', {class: 'btn', onclick: f}, 'Save') builds an element.
 * Attributes starting with "on" are listeners; children may be strings,
 * nodes, arrays, null/false (skipped). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** clear(el) empties el and appends children. */
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** field(label, input, hint) is a labelled form row; the input's name is
 * what showErrors matches against extensions.field. */
let fieldSeq = 0;
export function field(label, input, hint) {
  if (!input.id) input.id = 'f' + ++fieldSeq;
  return h('div', { class: 'field' },
    h('label', { for: input.id }, label),
    input,
    hint ? h('div', { class: 'hint' }, hint) : null,
    h('div', { class: 'field-error', role: 'alert', hidden: true, 'data-for': input.name || '' }));
}

/** clearErrors(form) hides every error showErrors put in form. */
export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => { e.hidden = true; e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const box = form.querySelector('.form-error');
  if (box) { box.hidden = true; box.textContent = ''; }
}

/** showErrors(form, err) shows a GraphQLError: each error with
 * extensions.field next to the input named so (the last path segment, so
 * "input.email" matches name="email"), the rest in form's .form-error box
 * (created at the top when missing). Other exceptions go to the box too.
 * The first invalid input gets the focus. */
export function showErrors(form, err) {
  clearErrors(form);
  const errors = err?.errors || [{ message: String(err?.message || err) }];
  const rest = [];
  let first = null;
  for (const e of errors) {
    const f = e.extensions?.field;
    const name = f ? String(f).split('.').pop() : '';
    const input = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
    const slot = name && form.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
    if (input && slot) {
      slot.textContent = e.message;
      slot.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      first = first || input;
    } else {
      rest.push(e.message);
    }
  }
  if (rest.length) {
    let box = form.querySelector('.form-error');
    if (!box) { box = h('div', { class: 'form-error', role: 'alert' }); form.prepend(box); }
    box.textContent = rest.join('\n');
    box.hidden = false;
  }
  (first || form.querySelector('.form-error'))?.focus?.();
}

/** confirmAction(message, label) asks in a modal dialog; resolves true
 * when confirmed. Escape or Cancel resolve false. */
export function confirmAction(message, label = 'Delete') {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'dialog', 'aria-label': 'Confirm' },
      h('p', {}, message),
      h('div', { class: 'actions' },
        h('button', { class: 'btn', value: 'cancel', onclick: () => dlg.close('cancel') }, 'Cancel'),
        h('button', { class: 'btn btn-danger', value: 'ok', onclick: () => dlg.close('ok') }, label)));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(dlg.returnValue === 'ok'); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('.btn-danger').focus();
  });
}

/** toast(message, kind) shows a short notice ("ok" or "error"). */
export function toast(message, kind = 'ok') {
  const t = h('div', { class: 'toast toast-' + kind, role: 'status' }, message);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 3500);
}

/** pager(items, render, size) shows items a page at a time: render(item)
 * returns a row (e.g. a <tr>); the returned {rows, nav} are two elements
 * to place (rows is a <tbody>). */
export function pager(items, render, size = 25) {
  const rows = h('tbody');
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  let page = 0;
  const pages = Math.max(1, Math.ceil(items.length / size));
  const show = () => {
    clear(rows, items.slice(page * size, (page + 1) * size).map(render));
    if (!items.length) rows.append(h('tr', {}, h('td', { colspan: 99, class: 'muted' }, 'Nothing here yet.')));
    clear(nav, pages > 1 ? [
      h('button', { class: 'btn btn-small', disabled: page === 0, onclick: () => { page--; show(); } }, '‹ Previous'),
      h('span', { class: 'muted' }, ` Page ${page + 1} of ${pages} `),
      h('button', { class: 'btn btn-small', disabled: page >= pages - 1, onclick: () => { page++; show(); } }, 'Next ›'),
    ] : null);
  };
  show();
  return { rows, nav };
}
