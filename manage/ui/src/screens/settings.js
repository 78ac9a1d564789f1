import { h, clear } from '../ui.js';

export default {
  id: 'settings',
  title: 'Site settings',
  group: 'Site',
  async render(el) {
    clear(el, h('h1', {}, 'Site settings'), h('p', { class: 'muted' }, 'Coming soon.'));
  },
};
