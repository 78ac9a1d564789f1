import { h, clear } from '../ui.js';

export default {
  id: 'pages',
  title: 'Pages',
  group: 'Site',
  async render(el) {
    clear(el, h('h1', {}, 'Pages'), h('p', { class: 'muted' }, 'Coming soon.'));
  },
};
