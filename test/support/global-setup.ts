import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Generates the test models once before the suite (a no-op when they are up to date). */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/make-test-models.ts'], { cwd: root, stdio: 'inherit' });
}
