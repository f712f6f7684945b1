import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

/**
 * Everything an Engram file holds, read with a separate connection: used to
 * prove that a failed call changed nothing.
 */
export function snapshotStore(path: string): string {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    sqliteVec.load(db);
    const dump = {
      memories: db.prepare('SELECT * FROM memories ORDER BY seq').all(),
      history: db.prepare('SELECT * FROM history ORDER BY id').all(),
      messages: db.prepare('SELECT * FROM messages ORDER BY id').all(),
      vectors: db.prepare('SELECT memory_seq, hex(embedding) AS e, user_id, agent_id, run_id, valid_from, valid_to FROM memory_vectors ORDER BY memory_seq').all(),
      fts: db.prepare(`SELECT rowid, text FROM memory_fts ORDER BY rowid`).all(),
      meta: db.prepare('SELECT * FROM meta ORDER BY key').all(),
    };
    return JSON.stringify(dump, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } finally {
    db.close();
  }
}
