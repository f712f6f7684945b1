import type { Database } from './database.js';

/** The tokenizer of `memory_fts` (migration 1). Anything tokenizing for keyword search must use exactly this. */
export const FTS_TOKENIZE = 'porter unicode61 remove_diacritics 2';

/**
 * FTS5's own tokenizer, reached through a scratch FTS5 table in the
 * connection's temp schema: the in-memory keyword index sees exactly the terms
 * (case-folded, diacritics removed, Porter-stemmed) that `memory_fts` sees.
 * Nothing is written to the database file.
 */
export class FtsTokenizer {
  private readonly insert;
  private readonly instances;
  private readonly clear;

  constructor(private readonly db: Database) {
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.engram_tokenize USING fts5(text, content = '', tokenize = '${FTS_TOKENIZE}');
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.engram_tokenize_terms USING fts5vocab(temp, engram_tokenize, instance);
    `);
    this.insert = db.prepare('INSERT INTO temp.engram_tokenize (rowid, text) VALUES (?, ?)');
    this.instances = db.prepare('SELECT term, doc FROM temp.engram_tokenize_terms').raw();
    this.clear = db.prepare(`INSERT INTO temp.engram_tokenize (engram_tokenize) VALUES ('delete-all')`);
  }

  /**
   * Calls `each(doc, term)` once per token of each text (a term repeated in a
   * text comes once per occurrence); `doc` is the text's index in `texts`.
   */
  tokenize(texts: readonly string[], each: (doc: number, term: string) => void): void {
    if (texts.length === 0) return;
    this.db.transaction(() => {
      texts.forEach((text, i) => this.insert.run(i + 1, text));
      try {
        for (const [term, doc] of this.instances.iterate() as IterableIterator<[string, number]>) each(doc - 1, term);
      } finally {
        this.clear.run();
      }
    })();
  }

  /** The distinct terms of one text, in first-seen order. */
  terms(text: string): string[] {
    const terms = new Set<string>();
    this.tokenize([text], (_doc, term) => terms.add(term));
    return [...terms];
  }
}
