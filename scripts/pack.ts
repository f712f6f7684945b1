/**
 * Builds the package tarball users install (`npm run pack`), in a staging
 * folder so the checkout's node_modules are never touched:
 *
 *   1. `npm run build` here, then copy package.json, dist/, README.md, LICENSE
 *      and models/README.md to the staging folder;
 *   2. install the bundled dependency (node-llama-cpp) there, without its
 *      optional dependencies and without running install scripts;
 *   3. drop `optionalDependencies` from the bundled node-llama-cpp's
 *      package.json: otherwise npm treats its GPU builds (CUDA, Vulkan: 650
 *      MB) as part of the bundle and installs them, and a global install
 *      leaves the CPU build an empty folder. Engram's own package.json lists
 *      the CPU builds (and Metal on Apple Silicon) as its optional
 *      dependencies instead, so npm picks the one for the user's platform;
 *   4. `npm pack` there, and move the tarball here.
 *
 * Prints the tarball's path last. `npm run check:install` installs it into a
 * fresh app and runs a memory round trip.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(npm, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

type PackageJson = { name: string; version: string; bundleDependencies?: string[]; optionalDependencies?: Record<string, string> };

export function packRelease(): string {
  run(['run', 'build'], root);
  const stage = mkdtempSync(join(tmpdir(), 'engram-pack-'));
  try {
    for (const entry of ['package.json', 'dist', 'README.md', 'LICENSE']) cpSync(join(root, entry), join(stage, entry), { recursive: true });
    mkdirSync(join(stage, 'models'));
    cpSync(join(root, 'models/README.md'), join(stage, 'models/README.md'));
    const manifestText = readFileSync(join(stage, 'package.json'), 'utf8');
    const manifest = JSON.parse(manifestText) as PackageJson & { dependencies: Record<string, string> };
    const bundled = manifest.bundleDependencies ?? [];
    // Install only what is bundled (npm pack takes bundled packages and their dependencies from node_modules).
    writeFileSync(
      join(stage, 'package.json'),
      JSON.stringify({ name: 'engram-stage', private: true, dependencies: Object.fromEntries(bundled.map((name) => [name, manifest.dependencies[name]])) }),
    );
    run(['install', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'], stage);
    writeFileSync(join(stage, 'package.json'), manifestText);
    for (const name of bundled) {
      const file = join(stage, 'node_modules', name, 'package.json');
      const bundledManifest = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      delete bundledManifest.optionalDependencies;
      writeFileSync(file, `${JSON.stringify(bundledManifest, null, 2)}\n`);
    }
    const tarball = run(['pack', '--ignore-scripts', '--json'], stage);
    const [{ filename }] = JSON.parse(tarball) as [{ filename: string }];
    const target = join(root, filename);
    renameSync(join(stage, filename), target);
    return target;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(packRelease());
}
