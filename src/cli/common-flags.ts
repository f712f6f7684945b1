/** `--json`: one JSON document on stdout instead of text for people. */
export const JSON_OPTION = { json: { type: 'boolean' } } as const;

/** The usage lines of the scope flags (SCOPE_OPTIONS). */
export const SCOPE_USAGE = `Scope (whose memories):
  --user <id>                 a user (env ENGRAM_USER_ID; default: your OS user name, as in engram mcp)
  --agent <id>                an agent (env ENGRAM_AGENT_ID)
  --run <id>                  a run or session
  Given only --agent or --run, no user is implied.`;

/** The usage lines of the store flags (STORE_OPTIONS). */
export const STORE_USAGE = `Configuration (a flag, else the environment variable, else the default):
  --db <file|url>             SQLite file or postgres:// URL (ENGRAM_DB; default: memory.db in your data folder)
  --embedding-model <folder>  embedding model folder (ENGRAM_EMBEDDING_MODEL; default: <models dir>/embedding)
  --llm-model <file.gguf>     LLM for add with inference (ENGRAM_LLM_MODEL; default: <models dir>/llm.gguf)
  --models-dir <dir>          models folder (ENGRAM_MODELS_DIR; default: ./models if present, else in your data folder)
  --llm-threads <n>           CPU threads of the LLM (ENGRAM_LLM_THREADS; default: the physical cores, see engram doctor)
  --llm-context <tokens>      the LLM's context size (ENGRAM_LLM_CONTEXT; default: 4096)
  ENGRAM_KEY                  the key of an encrypted database (environment only: never a flag)`;
