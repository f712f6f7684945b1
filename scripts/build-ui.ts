// Builds the local page into dist/ui/: the browser code bundled into one script, with its HTML and styles.
// `npm run build` runs it; so does the test suite's global setup (the page tests and `engram serve` from a checkout serve dist/ui).
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildPage(outDir = `${root}dist/ui`): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [`${root}src/ui/main.ts`],
    outfile: `${outDir}/app.js`,
    bundle: true,
    format: 'esm',
    // Browsers of the last few years: dialog, :has(), replaceChildren.
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await copyFile(`${root}src/ui/index.html`, `${outDir}/index.html`);
  await copyFile(`${root}src/ui/app.css`, `${outDir}/app.css`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPage();
