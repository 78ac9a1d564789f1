// Builds the /manage app into ../dist: app.js and app.css (bundled,
// minified), and sources.txt, the sha256 of every source file, which
// package manage's TestDistIsBuilt compares with the sources so a commit
// that changes src/ without rebuilding fails `go test`.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const dist = join(here, '..', 'dist');
mkdirSync(dist, { recursive: true });

await esbuild.build({
  entryPoints: { app: join(here, 'src', 'main.js') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outdir: dist,
  legalComments: 'none',
  logLevel: 'info',
});

// The manifest lists the inputs: package.json, package-lock.json, build.mjs
// and everything under src/, sorted by path (forward slashes).
function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const files = ['package.json', 'package-lock.json', 'build.mjs', ...walk(join(here, 'src')).map((p) => relative(here, p))]
  .map((p) => p.split('\\').join('/'))
  .sort();
const lines = files.map((p) => createHash('sha256').update(readFileSync(join(here, p))).digest('hex') + '  ' + p + '\n');
writeFileSync(join(dist, 'sources.txt'), lines.join(''));
