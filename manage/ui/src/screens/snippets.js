import { h, clear } from '../ui.js';

export default {
  id: 'snippets',
  title: 'Snippets',
  group: 'Site',
  async render(el) {
    clear(el, h('h1', {}, 'Snippets'), h('p', { class: 'muted' }, 'Coming soon.'));
  },
};
