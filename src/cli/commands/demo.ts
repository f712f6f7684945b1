import { Memory } from '../../index.js';
import { expectPositionals } from '../args.js';
import { EXIT } from '../command.js';
import { defineCommand } from '../define-command.js';
import { runStoredAsSaidDemo } from '../demo.js';
import { runInferenceDemo } from '../demo-inference.js';
import { chooseDemoModels, llmOption } from '../demo-models.js';
import { STORE_OPTIONS } from '../runtime-config.js';

const USAGE = `engram demo — a scripted session that shows what Engram stores, finds and decides

Usage:
  engram demo [--db <file>] [--embedding-model <folder>] [--llm-model <file.gguf>] [--models-dir <dir>]

  Part one stores what Alice says as said (no LLM), then searches by meaning
  inside her scope, corrects a memory, deletes one, and shows the history.
  Part two, "memory that thinks", sends Sam's messages through add with
  inference: the LLM changes a preference, updates a dose, takes a plan back.

  It uses the downloaded models (\`engram models pull\`) when they are there;
  in a checkout of Engram's repository, otherwise the generated test models
  (\`npm run models:test\`), saying so: the test LLM has random weights, so its
  decisions in part two mean nothing.

Options:
  --db <file>                 SQLite file (default: a throwaway in-memory store; ENGRAM_DB is ignored,
                              so the demo's users never land in your own memory file)
  --embedding-model <folder>  embedding model folder (ENGRAM_EMBEDDING_MODEL; default: <models dir>/embedding,
                              else the test model)
  --llm-model <file.gguf>     LLM for part two (ENGRAM_LLM_MODEL; default: <models dir>/llm.gguf, else the test LLM)
  --models-dir <dir>          models folder (ENGRAM_MODELS_DIR; default: ./models if present, else in your data folder)
`;

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'a scripted session: memories stored as said, then a memory that thinks',
  usage: USAGE,
  options: STORE_OPTIONS,
  async run({ values, positionals }, io) {
    expectPositionals(positionals, { min: 0, max: 0 }, '');
    const models = chooseDemoModels(values, io.env);
    for (const notice of models.notices) io.out(notice);
    // The demo's adds wait for the LLM; a --db file's queue of other adds is left to `engram worker`.
    await using memory = await Memory.open({ path: values.db || ':memory:', embedder: { model: models.embedding }, llm: llmOption(models.llm), queue: { worker: false } });
    await runStoredAsSaidDemo(memory, io.out);
    await runInferenceDemo(memory, models.llm, io.out);
    io.out('');
    return EXIT.ok;
  },
});
