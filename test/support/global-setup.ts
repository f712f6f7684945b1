import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildPage } from '../../scripts/build-ui.js';

/** Generates the test models once before the suite (a no-op when they are up to date), and builds the local page the servers serve. */
export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/make-test-models.ts'], { cwd: root, stdio: 'inherit' });
  await buildPage();
}
