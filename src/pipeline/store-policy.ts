import { EngramError } from '../errors.js';
import { PolicySchema, type Policy } from '../policy.js';
import type { StorageTransaction } from '../storage/storage.js';

/** The policy kept with the store, checked as it is read (another version of Engram may have written it). */
export async function readPolicy(tx: StorageTransaction): Promise<Policy | undefined> {
  const json = await tx.policy();
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new EngramError('DB_INVALID', 'the policy kept with this store is not JSON; set it again with setPolicy', { cause: error });
  }
  const parsed = PolicySchema.safeParse(value);
  if (!parsed.success) throw new EngramError('DB_INVALID', `the policy kept with this store is not valid (${parsed.error.issues[0]?.message}); set it again with setPolicy`);
  return parsed.data;
}
