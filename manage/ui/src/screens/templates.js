import { h, clear } from '../ui.js';

export default {
  id: 'templates',
  title: 'Templates',
  group: 'Site',
  async render(el) {
    clear(el, h('h1', {}, 'Templates'), h('p', { class: 'muted' }, 'Coming soon.'));
  },
};
