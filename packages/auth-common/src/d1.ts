/**
 * The slice of a D1 database the apps' stores use, declared structurally so that a Worker's
 * binding and a Node CLI's binding proxy (`getPlatformProxy`) both fit, and a store module can
 * be type-checked without the Workers types.
 */
export interface SqlDatabase {
  prepare(query: string): SqlStatement;
  batch(statements: SqlStatement[]): Promise<{ meta: { changes: number } }[]>;
}

/** A prepared D1 statement (the subset used here). */
export interface SqlStatement {
  bind(...values: (string | number | null)[]): SqlStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- mirrors D1's all<T>(): the row type is the query's, named by the caller
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  run(): Promise<{ meta: { changes: number } }>;
}
