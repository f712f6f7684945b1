/** Whether a database path names a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(path: string): boolean {
  return /^postgres(ql)?:\/\//i.test(path);
}

/** A database path fit to print: a PostgreSQL URL without its password; a file path as it is. */
export function displayedDatabase(path: string): string {
  if (!isPostgresUrl(path)) return path;
  try {
    const parsed = new URL(path);
    parsed.password = '';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    return 'the PostgreSQL URL given (it is not a valid URL)';
  }
}
