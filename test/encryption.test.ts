import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Memory } from 'engram-memory';
import { closeAfterTest, TEST_EMBEDDING_MODEL, tempDbPath } from './support/test-memory.js';

const SECRET = 'Penicillin allergy, confidential';
const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const open = (path: string, encryptionKey?: string) => Memory.open({ path, embedder: { model: TEST_EMBEDDING_MODEL }, llm: null, ...(encryptionKey ? { encryptionKey } : {}) });

async function write(path: string, key?: string): Promise<void> {
  const memory = await open(path, key);
  await memory.add(SECRET, { userId: 'patient-7', infer: false });
  await memory.close();
}

describe('encryption at rest', () => {
  it('makes the file unreadable without the key, and works with it', async () => {
    const path = tempDbPath();
    await write(path, 'correct horse battery');
    const bytes = readFileSync(path);
    expect(bytes.includes(Buffer.from('Penicillin'))).toBe(false);
    expect(bytes.subarray(0, 15).toString()).not.toBe('SQLite format 3');

    await expect(open(path)).rejects.toMatchObject({ code: 'DB_INVALID' });
    const before = fileHash(path);
    await expect(open(path, 'wrong horse battery')).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_INVALID' });
    expect(fileHash(path)).toBe(before);

    const memory = closeAfterTest(await open(path, 'correct horse battery'));
    expect((await memory.search('allergy', { userId: 'patient-7' })).results[0]?.memory).toBe(SECRET);
    expect(await memory.verify()).toEqual({ ok: true, problems: [] });
  });

  it('encrypts, re-keys and decrypts an existing file safely, keeping every memory', async () => {
    const path = tempDbPath();
    await write(path);
    expect(readFileSync(path).includes(Buffer.from('Penicillin'))).toBe(true);

    await Memory.rekey({ path, newKey: 'first key 123' });
    expect(readFileSync(path).includes(Buffer.from('Penicillin'))).toBe(false);
    await expect(open(path)).rejects.toMatchObject({ code: 'DB_INVALID' });

    const untouched = fileHash(path);
    await expect(Memory.rekey({ path, key: 'not the key!', newKey: 'second key 456' })).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_INVALID' });
    expect(fileHash(path)).toBe(untouched);

    await Memory.rekey({ path, key: 'first key 123', newKey: 'second key 456' });
    await expect(open(path, 'first key 123')).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_INVALID' });
    const reopened = await open(path, 'second key 456');
    expect((await reopened.getAll({ userId: 'patient-7' })).results.map((r) => r.memory)).toEqual([SECRET]);
    await reopened.close();

    await Memory.rekey({ path, key: 'second key 456' });
    const plain = closeAfterTest(await open(path));
    expect((await plain.search('allergy', { userId: 'patient-7' })).results[0]?.memory).toBe(SECRET);
    expect(await plain.verify()).toEqual({ ok: true, problems: [] });
  });

  it('rejects a weak key, a key with a NUL (SQLite would cut it short), and rekeying a file that does not exist', async () => {
    await expect(open(tempDbPath(), 'short')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(open(tempDbPath(), 'long enough\u0000key')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/NUL/) });
    const path = tempDbPath();
    await write(path);
    await expect(Memory.rekey({ path, newKey: 'long enough\u0000key' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(readFileSync(path).includes(Buffer.from('Penicillin'))).toBe(true);
    // A missing file is not a missing memory: FILE_NOT_FOUND, not NOT_FOUND.
    await expect(Memory.rekey({ path: tempDbPath(), newKey: 'long enough key' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
