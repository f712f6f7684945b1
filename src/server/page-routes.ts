import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from './http-errors.js';
import type { Route } from './route-table.js';

/**
 * Where the built page lives: `dist/ui/` of the package, the same folder from
 * `src/server/` (tests, tsx) and from `dist/server/` (the installed package).
 */
export const PAGE_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/** The page's files, by URL path: nothing else in the folder is served. */
const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/**
 * The page's own scripts and styles only (no inline code, no other host: an
 * injected `<script>` or a stolen token has nowhere to go); never framed (a
 * hidden frame cannot trick a click on "Forget"); no Referer leaves it.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;

/**
 * The local page (`GET /`) and its two assets, answered without a token: they
 * hold no memory. Everything the page shows it fetches from the API with the
 * token the person gave it. Files are read once, on first request.
 */
export function pageRoutes(dir = PAGE_DIR): Route[] {
  const cache = new Map<string, Promise<Buffer>>();
  const read = (file: string) => {
    let content = cache.get(file);
    if (!content) {
      content = readFile(join(dir, file));
      content.catch(() => cache.delete(file));
      cache.set(file, content);
    }
    return content;
  };
  return Object.entries(PAGE_FILES).map(([path, { file, type }]) => ({
    path,
    public: true,
    methods: {
      GET: async () => {
        const content = await read(file).catch((error: unknown) => {
          throw new HttpError(503, 'PAGE_NOT_BUILT', `the page is not built (${file} is missing from ${dir}); run \`npm run build\``, {}, { cause: error });
        });
        return new Response(new Uint8Array(content), { status: 200, headers: { 'content-type': type, ...PAGE_HEADERS } });
      },
    },
  }));
}
