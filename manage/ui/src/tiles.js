// The Home tiles region: a marked part of the Home template that the tiles
// form reads and writes. Each tile is one line of JSON in a pongo2 comment
// followed by the HTML written from it; the region parses only when the
// HTML is exactly what the JSON writes, so a hand edit inside it is noticed
// rather than overwritten.

export const BEGIN = '{# tiles:begin — written by Manage → Home tiles; edit the tiles there #}';
export const END = '{# tiles:end #}';
const TILE = /^\{# tile (\{.*\}) #\}$/;

// HTML-escaped, and braces as character references so that text such as
// "{{ x }}" stays text instead of becoming a template tag.
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  .replace(/\{/g, '&#123;').replace(/\}/g, '&#125;');
// A pongo2 string literal; {{ and {% cannot occur in it unescaped because
// the value only ever sits inside {% if %}.
const lit = (s) => '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';

/** condition is the pongo2 test for who sees a tile: roles are web role
 * names; the built-in Anonymous users and Authenticated users test
 * signing in, the others membership. No role: everyone (no test). */
export function condition(roles) {
  if (!roles.length) return '';
  return roles.map((r) => r === 'Anonymous users' ? 'not viewer.signedIn'
    : r === 'Authenticated users' ? 'viewer.signedIn'
      : `${lit(r)} in viewer.roles`).join(' or ');
}

/** writeTile is a tile's lines in the region. */
export function writeTile(t) {
  const json = JSON.stringify({ title: t.title, text: t.text, link: t.link, icon: t.icon, roles: t.roles, primary: !!t.primary })
    .replace(/#\}/g, '#\\u007d');
  return [
    `{# tile ${json} #}`,
    (t.roles.length ? `{% if ${condition(t.roles)} %}` : '') + `<li class="tile${t.primary ? ' tile-primary' : ''}"><a href="${esc(t.link)}">` +
    `<span class="tile-icon" aria-hidden="true">${esc(t.icon)}</span>` +
    `<strong class="tile-title">${esc(t.title)}</strong>` +
    `<span class="tile-text">${esc(t.text)}</span></a></li>` + (t.roles.length ? '{% endif %}' : ''),
  ].join('\n');
}

/** writeRegion is the whole region for tiles, markers included. */
export function writeRegion(tiles) {
  return [BEGIN, ...tiles.map(writeTile), END].join('\n');
}

/** parse finds the region in a template source. It returns
 * {tiles, start, end} (the region's offsets), {missing: true} when the
 * source has no region, or {error} when it cannot be read back. */
export function parse(source) {
  const start = source.indexOf(BEGIN);
  const endAt = source.indexOf(END);
  if (start < 0 && endAt < 0) return { missing: true };
  if (start < 0 || endAt < start) return { error: 'The tiles region has lost its begin or end marker.' };
  const end = endAt + END.length;
  const lines = source.slice(start + BEGIN.length, endAt).split('\n').map((l) => l.trim()).filter(Boolean);
  const tiles = [];
  for (const line of lines) {
    const m = TILE.exec(line);
    if (!m) continue;
    try {
      const t = JSON.parse(m[1]);
      tiles.push({ title: String(t.title || ''), text: String(t.text || ''), link: String(t.link || ''), icon: String(t.icon || ''),
        roles: Array.isArray(t.roles) ? t.roles.map(String) : [], primary: !!t.primary });
    } catch {
      return { error: `A tile line does not parse: ${line.slice(0, 80)}` };
    }
  }
  if (writeRegion(tiles) !== source.slice(start, end)) {
    return { error: 'The tiles region of the template was edited by hand, so the form cannot read it back.' };
  }
  return { tiles, start, end };
}

/** insertRegion puts an empty region into a source that has none: at the
 * start of the first <ul class="tiles">, else before {% endblock %} of
 * the content block, else at the end. */
export function insertRegion(source) {
  const region = writeRegion([]);
  const ul = source.indexOf('<ul class="tiles">');
  if (ul >= 0) {
    const at = ul + '<ul class="tiles">'.length;
    return source.slice(0, at) + '\n' + region + source.slice(at);
  }
  const block = source.lastIndexOf('{% endblock %}');
  const wrapped = '<ul class="tiles">\n' + region + '\n</ul>\n';
  if (block >= 0) return source.slice(0, block) + wrapped + source.slice(block);
  return source + '\n' + wrapped;
}
