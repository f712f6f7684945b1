import { displayedDatabase } from '../../database-url.js';
import { expectPositionals } from '../args.js';
import { EXIT, type CliIo } from '../command.js';
import { JSON_OPTION, STORE_USAGE } from '../common-flags.js';
import { defineCommand } from '../define-command.js';
import { checkLines, type CheckResult } from '../doctor/check.js';
import { checkDatabase } from '../doctor/database-check.js';
import { checkEmbeddingModel, checkInstalledModels, checkLlmFile, checkServedEmbedder, describeServedLlm } from '../doctor/model-checks.js';
import { checkLlama, checkNode, checkSqlite, checkTransformers } from '../doctor/runtime-checks.js';
import { count, printJson } from '../format.js';
import { resolveRuntimeConfig, STORE_OPTIONS, type RuntimeConfig } from '../runtime-config.js';

const USAGE = `engram doctor — check that Engram can run here, and say what to fix

Usage:
  engram doctor [--json]

  One line per check: ✓ fine, ! works with something missing, ✗ broken (with
  what to do). Checks: Node.js ≥ 20; better-sqlite3 and sqlite-vec load;
  transformers.js and ONNX Runtime import; node-llama-cpp has a llama.cpp
  binary (never builds or downloads one); the embedding model loads and embeds;
  the LLM file is a GGUF; the sha256 of every model \`engram models pull\`
  installed; the database opens and passes its integrity checks (PRAGMA
  integrity_check and Engram's own); its queue of adds waiting for the LLM,
  with a warning when some failed or the oldest has waited over a minute (is
  a worker running?). Exit code 1 if any check fails.

Options:
  --json                      print {"ok", "config", "checks": [{name, status: ok|warn|fail, detail, fix?, data?}]}
                              (the queue check's data: {"counts": {queued, running, done, failed, cancelled}})

  An encrypted database is opened with the key in ENGRAM_KEY (never a flag).

${STORE_USAGE}
`;

type Check = () => Promise<CheckResult | CheckResult[]>;

function checksFor(config: RuntimeConfig): Check[] {
  return [
    async () => checkNode(),
    () => checkSqlite(config.encryptionKey !== undefined),
    checkTransformers,
    () => checkLlama(config),
    () => (config.embeddingUrl ? checkServedEmbedder(config.embeddingUrl, config.embeddingModel) : checkEmbeddingModel(config.embeddingModel)),
    async () => (config.llmUrl ? describeServedLlm(config.llmUrl, config.llmModel) : checkLlmFile(config.llmModel)),
    () => checkInstalledModels(config.modelsDir),
    () => checkDatabase(config),
  ];
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary: 'check the installation, the models and the database, and say what to fix',
  usage: USAGE,
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    const config = resolveRuntimeConfig(values, io.env);
    if (!values.json) io.out(`Database ${displayedDatabase(config.db)}; models ${config.modelsDir}`);
    const results = await runChecks(checksFor(config), values.json ? undefined : io);
    const failures = results.filter((r) => r.status === 'fail').length;
    // The key and a database password stay out of the report.
    const shown = { ...config, db: displayedDatabase(config.db), encryptionKey: config.encryptionKey ? '(set)' : undefined };
    if (values.json) printJson(io, { ok: failures === 0, config: shown, checks: results });
    else io.out(failures === 0 ? 'Everything Engram needs works.' : `${count(failures, 'check')} failed.`);
    return failures === 0 ? EXIT.ok : EXIT.engramError;
  },
});

/** Runs the checks one after the other, printing each as it completes (when `io` is given). */
async function runChecks(checks: Check[], io: CliIo | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const outcome = await check();
    for (const result of Array.isArray(outcome) ? outcome : [outcome]) {
      results.push(result);
      if (io) for (const line of checkLines(result)) io.out(line);
    }
  }
  return results;
}
