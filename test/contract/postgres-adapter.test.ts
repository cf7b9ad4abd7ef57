import { createPostgresAdapterFactory } from '../../src/oidc/adapters/postgres.js';
import { createTestDatabase, storageKinds } from '../helpers/database.js';
import { runAdapterContract } from './adapter-contract.js';

for (const kind of storageKinds) {
  runAdapterContract(`postgres payload table on ${kind}`, async () => {
    const testDatabase = await createTestDatabase(kind);
    return { factory: createPostgresAdapterFactory(testDatabase.database), cleanup: () => testDatabase.close() };
  });
}
