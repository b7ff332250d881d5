/**
 * Whether a store error means "try again later" rather than "this cannot work": the database
 * connection was lost or refused (PostgreSQL restarting, a network blip, an administrator ending
 * the session, too many connections) or the database was busy.
 */
export function isTransientStoreError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  // PostgreSQL: class 08 connection exceptions; admin/crash shutdown, cannot connect now; too many connections
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', 'SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code)) return true;
  // node-postgres says these without a code
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|not queryable|Client was closed|timeout exceeded when trying to connect/i.test(message);
}
