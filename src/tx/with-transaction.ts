import { checkOptions } from '../base/options-check.js';
import { transaction, type Transaction, type TransactionOptions } from './transaction.js';

/**
 * Runs `fn` with a fresh transaction: committed if `fn` resolves (unless `fn` committed or
 * rolled back itself), rolled back if it throws. Resolves to what `fn` returned.
 */
export async function withTransaction<T>(
  fn: (tx: Transaction) => Promise<T> | T,
  opts: TransactionOptions,
): Promise<T> {
  if (typeof opts === 'object' && opts !== null) checkOptions('withTransaction', 'withTransaction', undefined, opts);
  const tx = await transaction(opts);
  let result: T;
  try {
    result = await fn(tx);
  } catch (err) {
    await tx.rollback().catch(() => undefined);
    throw err;
  }
  if (tx.state === 'open') await tx.commit();
  return result;
}
