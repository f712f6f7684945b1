import { servePgliteSafely } from './pglite-server.js';
import { startPglite } from './postgres.js';

/**
 * A PostgreSQL database for tests that need a server: PGlite served over TCP
 * by default; with ENGRAM_TEST_POSTGRES_URL (a role that may CREATE DATABASE),
 * a scratch database on that real server, dropped afterwards.
 */
export type Database = { url: string; describe(): string; stop(): Promise<void> };

export async function startDatabase(): Promise<Database> {
  const server = process.env.ENGRAM_TEST_POSTGRES_URL;
  if (!server) {
    const db = await startPglite();
    const served = await servePgliteSafely(db);
    return {
      url: served.url,
      describe: () => `PGlite over servePgliteSafely ${JSON.stringify(served.stats())}`,
      stop: async () => {
        await served.stop();
        await db.close();
      },
    };
  }
  const { default: pg } = await import('pg');
  const name = `engram_multi_process_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), describe: () => `scratch database ${name} on ENGRAM_TEST_POSTGRES_URL`, stop: () => admin(`DROP DATABASE ${name} WITH (FORCE)`) };
}

