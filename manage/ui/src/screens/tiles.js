// Home tiles: the tiles of the home page as a form (title, text, link,
// icon, who sees it; add, remove, reorder), written into a marked region
// of the Home template (see ../tiles.js).
import { gql } from '../api.js';
import { h, clear, field, toast, confirmAction, showErrors } from '../ui.js';
import { parse, insertRegion, writeRegion } from '../tiles.js';

const ICONS = ['+', '≡', '⌂', '☺', '→', 'i', '§', '★', '✉', '?', '%', '⚑'];

async function render(el, ctx) {
  const d = await gql(`{ webPages { path pageTemplate { webTemplate { name } } } webRoles { id name } }`);
  const home = d.webPages.find((p) => p.path === '/');
  if (!home) {
    clear(el, h('h1', {}, 'Home tiles'), h('div', { class: 'form-error' }, 'The site has no page at / : create one under Pages first.'));
    return;
  }
  const name = home.pageTemplate.webTemplate.name;
  const t = (await gql(`query($n: String!) { webTemplate(name: $n) { source version } }`, { n: name })).webTemplate;
  let parsed = parse(t.source);
  const head = [h('h1', {}, 'Home tiles'),
    h('p', { class: 'muted' }, `The tiles of the home page (/), written into the web template ${name}. `,
      'Tiles the template has outside the managed region (the shipped ones) stay as they are; ',
      h('a', { href: '#/templates/edit/' + encodeURIComponent(name) }, `edit ${name}`), ' to change those.')];
  if (parsed.error) {
    clear(el, head, h('div', { class: 'form-error', role: 'alert' }, parsed.error,
      ' Fix it in the template editor (each tile is a "{# tile {…} #}" line followed by exactly the line the form writes), or roll the template back to a version the form wrote.'),
    h('a', { class: 'btn', href: '#/templates/edit/' + encodeURIComponent(name) }, `Open ${name} in the editor`));
    return;
  }
  const tiles = parsed.missing ? [] : parsed.tiles;
  const roleNames = d.webRoles.map((r) => r.name);
  const list = h('div');
  const form = h('form', { novalidate: true });

  const draw = () => {
    clear(list, tiles.length ? null : h('p', { class: 'muted' }, 'No managed tiles yet: add one.'),
      tiles.map((tile, i) => {
        const title = h('input', { name: 'title', value: tile.title, required: true, oninput: (e) => { tile.title = e.target.value; } });
        const text = h('input', { name: 'text', value: tile.text, oninput: (e) => { tile.text = e.target.value; } });
        const link = h('input', { name: 'link', value: tile.link, required: true, placeholder: '/orders', oninput: (e) => { tile.link = e.target.value; } });
        const icon = h('input', { name: 'icon', value: tile.icon, list: 'tile-icons', style: 'width:5em', oninput: (e) => { tile.icon = e.target.value; } });
        const roles = roleNames.map((r) => h('label', {}, h('input', { type: 'checkbox', value: r, checked: tile.roles.includes(r),
          onchange: (e) => { tile.roles = e.target.checked ? [...tile.roles, r] : tile.roles.filter((x) => x !== r); } }), r));
        const move = (by) => { const [x] = tiles.splice(i, 1); tiles.splice(i + by, 0, x); draw(); list.querySelectorAll('.tile-card')[i + by]?.querySelector('input')?.focus(); };
        return h('fieldset', { class: 'card tile-card', 'aria-label': `Tile ${i + 1}` },
          h('div', { class: 'toolbar' }, h('strong', {}, `Tile ${i + 1}`), h('span', { class: 'spacer' }),
            h('button', { type: 'button', class: 'btn btn-small', disabled: i === 0, 'aria-label': `Move tile ${i + 1} up`, onclick: () => move(-1) }, '↑ Up'),
            h('button', { type: 'button', class: 'btn btn-small', disabled: i === tiles.length - 1, 'aria-label': `Move tile ${i + 1} down`, onclick: () => move(1) }, '↓ Down'),
            h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: async () => {
              if (await confirmAction(`Remove the tile "${tile.title || 'untitled'}"? It goes when you save the tiles.`, 'Remove tile')) { tiles.splice(i, 1); draw(); }
            } }, 'Remove')),
          h('div', { class: 'tile-row' }, field('Title', title), field('Link', link, 'A site path such as /orders, or a full https:// address.')),
          h('div', { class: 'tile-row' }, field('Text', text), field('Icon', icon, 'One character or emoji.')),
          h('div', { class: 'field' }, h('label', {}, 'Who sees it'), h('div', { class: 'checks' }, roles),
            h('div', { class: 'hint' }, 'None ticked: everyone. Anonymous users are visitors who are not signed in.')),
          h('label', { class: 'choice' }, h('input', { type: 'checkbox', checked: tile.primary, onchange: (e) => { tile.primary = e.target.checked; } }), ' Highlight (primary colour)'));
      }));
  };
  const validate = () => {
    for (const [i, t] of tiles.entries()) {
      if (!t.title.trim()) return `Tile ${i + 1} needs a title.`;
      if (!/^(\/[^\s]*|https?:\/\/[^\s]+)$/.test(t.link.trim())) return `Tile ${i + 1}: the link must be a site path starting with / or an http(s) address.`;
    }
    return '';
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    save().catch((err) => showErrors(form, err));
  });
  const save = async () => {
    const problem = validate();
    if (problem) { showErrors(form, { errors: [{ message: problem }] }); return; }
    tiles.forEach((t) => { t.title = t.title.trim(); t.link = t.link.trim(); t.text = t.text.trim(); t.icon = t.icon.trim(); });
    // Read the template again: someone may have saved it meanwhile.
    const now = (await gql(`query($n: String!) { webTemplate(name: $n) { source version } }`, { n: name })).webTemplate;
    let src = now.source;
    let p = parse(src);
    if (p.missing) { src = insertRegion(src); p = parse(src); }
    if (p.error) { showErrors(form, { errors: [{ message: p.error }] }); return; }
    src = src.slice(0, p.start) + writeRegion(tiles) + src.slice(p.end);
    try {
      const r = await gql(`mutation($n: String!, $s: String!) { saveWebTemplate(name: $n, source: $s) { version } }`, { n: name, s: src });
      toast(`Saved the tiles (${name} version ${r.saveWebTemplate.version}).`);
      form.querySelector('.form-error')?.setAttribute('hidden', '');
    } catch (err) {
      showErrors(form, err);
    }
  };
  clear(form, list,
    h('datalist', { id: 'tile-icons' }, ICONS.map((i) => h('option', { value: i }))),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'btn', id: 'add-tile', onclick: () => {
        tiles.push({ title: '', text: '', link: '/', icon: '★', roles: [], primary: false });
        draw();
        list.querySelectorAll('.tile-card')[tiles.length - 1].querySelector('input').focus();
      } }, '+ Add tile'),
      h('span', { class: 'spacer' }),
      h('a', { class: 'btn', href: '/', target: '_blank', rel: 'noopener' }, 'Open the home page ↗'),
      h('button', { type: 'submit', class: 'btn btn-primary', id: 'save-tiles' }, 'Save tiles')));
  draw();
  clear(el, head, parsed.missing ? h('p', { class: 'badge badge-warn' }, `${name} has no managed tiles yet; saving adds them at the start of its tiles.`) : null, form);
}

export default { id: 'tiles', title: 'Home tiles', group: 'Site', render };
