import type { CliCommand } from '../command.js';
import { addCommand } from './add.js';
import { deleteCommand } from './delete.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { decryptCommand, encryptCommand, rekeyCommand } from './encryption.js';
import { exportCommand } from './export.js';
import { forgetCommand } from './forget.js';
import { purgeCommand } from './purge.js';
import { getCommand } from './get.js';
import { graphCommand } from './graph.js';
import { historyCommand } from './history.js';
import { importCommand } from './import.js';
import { listCommand } from './list.js';
import { mcpCommand } from './mcp.js';
import { modelsCommand } from './models.js';
import { policyCommand } from './policy.js';
import { reindexCommand } from './reindex.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { uiCommand } from './ui.js';
import { updateCommand } from './update.js';
import { jobsCommand } from './jobs.js';
import { workerCommand } from './worker.js';

/** Every `engram` command, in the order `engram --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  addCommand,
  searchCommand,
  listCommand,
  getCommand,
  updateCommand,
  deleteCommand,
  historyCommand,
  forgetCommand,
  purgeCommand,
  policyCommand,
  exportCommand,
  importCommand,
  reindexCommand,
  encryptCommand,
  decryptCommand,
  rekeyCommand,
  doctorCommand,
  demoCommand,
  modelsCommand,
  serveCommand,
  uiCommand,
  mcpCommand,
  workerCommand,
  jobsCommand,
  graphCommand,
];

export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}
