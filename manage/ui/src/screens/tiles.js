import { h, clear } from '../ui.js';

export default {
  id: 'tiles',
  title: 'Home tiles',
  group: 'Site',
  async render(el) {
    clear(el, h('h1', {}, 'Home tiles'), h('p', { class: 'muted' }, 'Coming soon.'));
  },
};
