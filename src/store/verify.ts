import { basename } from 'node:path';
import type { Database } from './database.js';
import { META_KEYS, readMeta } from './meta.js';
import { graphChecks } from './verify-graph.js';
import { stagingFiles } from './staging-files.js';
import { vectorEndSql } from './vectors.js';

/**
 * Every structural invariant of an Engram file. Returns one line per
 * violation; an empty list means the file is consistent. It never throws for
 * what it finds: a check that cannot run (a damaged page) is itself reported,
 * and the other checks still run.
 */
export function verifyInvariants(db: Database): string[] {
  const problems: string[] = [];
  const attempt = (what: string, check: () => void) => {
    try {
      check();
    } catch (error) {
      problems.push(`could not check ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const report = (sql: string, describe: (row: Record<string, unknown>) => string) =>
    attempt('the memory tables', () => {
      for (const row of db.prepare(sql).all() as Record<string, unknown>[]) problems.push(describe(row));
    });

  report(
    `SELECT m.id, m.version FROM memories m LEFT JOIN memory_vectors v ON v.memory_seq = m.seq WHERE v.memory_seq IS NULL`,
    (r) => `memory ${r.id} version ${r.version} has no vector`,
  );
  report(
    `SELECT v.memory_seq FROM memory_vectors v LEFT JOIN memories m ON m.seq = v.memory_seq WHERE m.seq IS NULL`,
    (r) => `vector ${r.memory_seq} belongs to no memory`,
  );
  report(
    `SELECT m.id, m.version FROM memories m JOIN memory_vectors v ON v.memory_seq = m.seq
     WHERE v.user_id != ifnull(m.user_id, '') OR v.agent_id != ifnull(m.agent_id, '') OR v.run_id != ifnull(m.run_id, '')
        OR v.valid_from != m.valid_from OR v.valid_to != ${vectorEndSql('m')}`,
    (r) => `memory ${r.id} version ${r.version}: its vector's scope or validity differs from the row`,
  );
  report(
    `SELECT id, version FROM memories WHERE valid_to IS NOT NULL AND valid_to < valid_from`,
    (r) => `memory ${r.id} version ${r.version} ends before it begins (validTo < validFrom)`,
  );
  report(
    `SELECT a.id, a.version FROM memories a JOIN memories b ON a.id = b.id AND b.version = a.version + 1
     WHERE a.valid_to IS NULL OR a.valid_to > b.valid_from`,
    (r) => `memory ${r.id} version ${r.version} overlaps the next version`,
  );
  report(
    `SELECT a.id FROM memories a JOIN memories b ON a.id = b.id AND a.seq < b.seq
     WHERE ifnull(a.user_id, '') != ifnull(b.user_id, '') OR ifnull(a.agent_id, '') != ifnull(b.agent_id, '') OR ifnull(a.run_id, '') != ifnull(b.run_id, '')
     GROUP BY a.id`,
    (r) => `memory ${r.id} changed scope between versions`,
  );
  report(
    `SELECT DISTINCT h.memory_id FROM history h LEFT JOIN memories m ON m.id = h.memory_id WHERE m.id IS NULL`,
    (r) => `history points to memory ${r.memory_id}, which does not exist`,
  );
  report(
    `SELECT m.id FROM memories m WHERE m.version = 1 AND NOT EXISTS (
       SELECT 1 FROM history h WHERE h.memory_id = m.id AND h.event = 'ADD')`,
    (r) => `memory ${r.id} has no ADD in its history`,
  );
  report(
    `SELECT m.id, (SELECT count(*) FROM memories v WHERE v.id = m.id) AS versions,
            (SELECT count(*) FROM history h WHERE h.memory_id = m.id AND h.event IN ('ADD', 'UPDATE')) AS changes
     FROM memories m WHERE m.version = 1 AND versions != changes`,
    (r) => `memory ${r.id} has ${r.versions} versions but ${r.changes} ADD/UPDATE history rows`,
  );
  report(
    `SELECT m.id FROM memories m WHERE m.valid_to IS NOT NULL AND m.version = (SELECT max(version) FROM memories v WHERE v.id = m.id)
       AND NOT EXISTS (SELECT 1 FROM history h WHERE h.memory_id = m.id AND h.event = 'DELETE')`,
    (r) => `memory ${r.id} was closed without a DELETE in its history`,
  );
  report(
    `SELECT r.memory_id, r.version FROM reindex_vectors r
     WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = r.memory_id AND m.version = r.version AND m.hash = r.hash)`,
    (r) => `a pending reindex vector of memory ${r.memory_id} version ${r.version} outlived its text (an erased or changed memory)`,
  );
  report(
    `SELECT id FROM jobs WHERE status = 'done' AND result IS NULL`,
    (r) => `job ${r.id} is done but holds no result`,
  );
  report(
    `SELECT j.id, k.value AS message_id FROM jobs j, json_each(j.message_ids) k
     WHERE j.status IN ('queued', 'running', 'failed')
       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = k.value
                       AND m.user_id IS j.user_id AND m.agent_id IS j.agent_id AND m.run_id IS j.run_id)`,
    (r) => `job ${r.id} waits for message ${r.message_id}, which is not logged in its scope`,
  );
  for (const [sql, describe] of graphChecks) report(sql, describe);
  attempt('entity vectors', () => {
    const dimension = Number(readMeta(db, META_KEYS.embeddingDimension) ?? 0);
    for (const [id, blob] of db.prepare('SELECT id, embedding FROM entities').raw().iterate() as IterableIterator<[string, Buffer]>) {
      if (blob.byteLength !== 4 * dimension) {
        problems.push(`entity ${id}'s vector holds ${blob.byteLength} bytes, not ${4 * dimension} (${dimension} dimensions of 4 bytes)`);
        continue;
      }
      const values = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
      if (!values.every(Number.isFinite)) problems.push(`entity ${id}'s vector holds NaN or infinite values`);
    }
  });
  attempt('vector values', () => {
    for (const [seq, blob] of db.prepare('SELECT memory_seq, embedding FROM memory_vectors').raw().iterate() as IterableIterator<[number, Buffer]>) {
      const values = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
      if (!values.every(Number.isFinite)) problems.push(`vector ${seq} holds NaN or infinite values`);
    }
  });
  attempt('the full-text index', () => {
    try {
      db.prepare(`INSERT INTO memory_fts (memory_fts, rank) VALUES ('integrity-check', 1)`).run();
    } catch (error) {
      problems.push(`full-text index out of sync with memories: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  attempt('SQLite integrity', () => {
    const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
    for (const row of integrity) if (row.integrity_check !== 'ok') problems.push(`sqlite integrity: ${row.integrity_check}`);
  });
  if (db.name !== ':memory:') {
    for (const file of stagingFiles(db.name)) {
      problems.push(
        `${basename(file)} is a staging copy left by an interrupted encrypt/rekey/decrypt and may hold plaintext: ` +
          'run that command again (it removes it) or delete the file',
      );
    }
  }
  return problems;
}
