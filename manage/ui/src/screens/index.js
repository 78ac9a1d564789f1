// The screens of /manage, in navigation order. Each module's default export
// is {id, title, group, render(el, ctx), leave?()} (see ../../README.md).
// SHELL (helper A) keeps the Site group; SCREENS (helper B) adds its
// imports and entries between the "Access & operations" markers.
import templates from './templates.js';
import pages from './pages.js';
import tiles from './tiles.js';
import snippets from './snippets.js';
import settings from './settings.js';
// Access & operations: imports
import roles from './roles.js';
import explorer from './explorer.js';
import contacts from './contacts.js';
import orders from './orders.js';
import audit from './audit.js';
// Access & operations: end imports

export const screens = [
  templates,
  pages,
  tiles,
  snippets,
  settings,
  // Access & operations: entries
  roles,
  explorer,
  contacts,
  orders,
  audit,
  // Access & operations: end entries
];
