// Records the SQL that a piece of code runs through a Database without changing it: the real
// database answers every statement. Only statements started inside during() are kept, so the
// app's background workers, polling the same database, do not show up.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, Queryable } from '../../src/storage/db.js';

export interface StatementRecorder {
  /** Hand this to the app in place of the real database. */
  database: Database;
  /**
   * Runs fn and returns the statements it ran, whitespace collapsed, with BEGIN / COMMIT /
   * ROLLBACK, and `failed: <SQLSTATE>` after a statement the database refused.
   */
  during(fn: () => Promise<unknown>): Promise<string[]>;
}

export function recordStatements(database: Database): StatementRecorder {
  const scope = new AsyncLocalStorage<string[]>();
  const note = (sql: string) => scope.getStore()?.push(sql.replace(/\s+/g, ' ').trim());
  const recorded = (db: Queryable): Queryable => ({
    async query(sql, params) {
      note(sql);
      try {
        return await db.query(sql, params);
      } catch (error) {
        note(`failed: ${(error as { code?: string }).code ?? 'no code'}`);
        throw error;
      }
    },
  });

  return {
    database: {
      ...recorded(database),
      async transaction(fn) {
        note('BEGIN');
        try {
          const result = await database.transaction((tx) => fn(recorded(tx)));
          note('COMMIT');
          return result;
        } catch (error) {
          note('ROLLBACK');
          throw error;
        }
      },
      ping: () => database.ping(),
      close: () => database.close(),
    },
    async during(fn) {
      const statements: string[] = [];
      await scope.run(statements, fn);
      return statements;
    },
  };
}
