// The /manage app shell: a side navigation of the registered screens and a
// hash router (#/<screen id>/<rest…>). Package manage serves index.html
// only to administrators.
import './app.css';
import { screens } from './screens/index.js';
import { h, clear, toast } from './ui.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');

function buildNav() {
  const groups = new Map();
  for (const s of screens) {
    if (!groups.has(s.group)) groups.set(s.group, []);
    groups.get(s.group).push(s);
  }
  clear(nav, [...groups].map(([g, list]) => h('div', { class: 'nav-group' },
    h('div', { class: 'nav-title' }, g),
    list.map((s) => h('a', { href: '#/' + s.id, 'data-screen': s.id }, s.title)))));
}

let current = null;
let shown = location.hash;
let reverting = false;
async function route() {
  if (reverting) { reverting = false; return; }
  // A screen with unsaved work (the editor) may keep the administrator on it.
  if (current?.canLeave && !(await current.canLeave())) {
    reverting = true;
    location.hash = shown;
    return;
  }
  shown = location.hash;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const screen = screens.find((s) => s.id === parts[0]) || screens[0];
  nav.querySelectorAll('a').forEach((a) => a.setAttribute('aria-current', a.dataset.screen === screen.id ? 'page' : 'false'));
  if (current?.leave) current.leave();
  current = screen;
  const el = h('div', { class: 'screen' });
  clear(main, el);
  document.title = screen.title + ' · Manage';
  try {
    await screen.render(el, {
      params: parts.slice(1).filter(Boolean),
      navigate: (path) => { location.hash = '#/' + path; },
    });
  } catch (e) {
    clear(el, h('div', { class: 'form-error', role: 'alert' }, e.message || String(e)));
  }
  main.focus({ preventScroll: true });
}

// A failure no screen caught still says something rather than nothing.
window.addEventListener('error', (e) => toast('Unexpected error: ' + e.message, 'error'));
window.addEventListener('unhandledrejection', (e) => toast('Unexpected error: ' + (e.reason?.message || e.reason), 'error'));

buildNav();
window.addEventListener('hashchange', route);
route();
