// Builds the page into dist/, which the gateway embeds (gateway/src/web.rs):
// one bundled, minified app.js (lightweight-charts included), app.css,
// index.html and the chart library's licence. `npm ci && npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const at = (p) => new URL(p, here).pathname;
mkdirSync(at('dist'), { recursive: true });
await build({
  entryPoints: [at('src/app.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  legalComments: 'eof',
  outfile: at('dist/app.js'),
  logLevel: 'warning',
});
await build({ entryPoints: [at('src/app.css')], bundle: true, minify: true, outfile: at('dist/app.css'), logLevel: 'warning' });
copyFileSync(at('src/index.html'), at('dist/index.html'));
// The bundle carries lightweight-charts (Apache-2.0) and its dependency
// fancy-canvas (MIT): ship both notices beside it.
const pkg = (name) => JSON.parse(readFileSync(at(`node_modules/${name}/package.json`), 'utf8'));
const lc = pkg('lightweight-charts');
const fc = pkg('fancy-canvas');
writeFileSync(
  at('dist/LICENSE-lightweight-charts.txt'),
  `dist/app.js bundles lightweight-charts ${lc.version} (${lc.license}, Copyright TradingView, Inc.)\n` +
    `and its dependency fancy-canvas ${fc.version} (${fc.license}).\n\n` +
    `==== lightweight-charts: LICENSE ====\n\n${readFileSync(at('node_modules/lightweight-charts/LICENSE'), 'utf8')}\n` +
    `==== fancy-canvas: ${fc.license} licence ====\n\n${fancyCanvasLicence(fc)}\n`,
);

// fancy-canvas's npm package ships no licence file; this is the MIT text its package.json names.
function fancyCanvasLicence(p) {
  const who = typeof p.author === 'string' ? p.author : p.author?.name ?? 'the fancy-canvas authors';
  return `Copyright (c) the fancy-canvas authors (${who})

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;
}
