import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Dossier } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { testKeyring } from '../../audit/__testUtils__/testKeyring';
import { DatabasePromotionStore } from '../DatabasePromotionStore';
import { AuditContext } from '../PromotionStore';
import { DATABASE_HOOK_TIMEOUT_MS } from './testDatabases';

/*
 * What the store tests record with, and the store they record it in: a
 * migrated DatabasePromotionStore on a fresh test database.
 */

export const FLOW = 'component:default/payments-sftp';
export const ALICE = 'user:default/alice';
export const BOB = 'user:default/bob';
export const CAROL = 'user:default/carol';
export const PIPELINE = 'service:external:ci';

/** A fixed clock with milliseconds, to check they survive the round trip. */
export const T0 = new Date('2026-11-21T10:00:00.123Z');
export const at = (minutes: number) =>
  new Date(T0.getTime() + minutes * 60_000);
/** Who makes a change, `minutes` after {@link T0}. */
export const as = (actor: string, minutes = 0): AuditContext => ({
  actor,
  now: at(minutes),
});

export const dossier: Dossier = {
  whatChanged: 'New SFTP client library',
  why: 'The vendor deprecates the old one',
  testResults: 'All end-to-end tests green',
  releaseNotes: 'Faster uploads',
};

/** A store and the connection to its database. */
export interface TestStore {
  knex: Knex;
  store: DatabasePromotionStore;
}

/** A store on a fresh test database, migrated, signing with the test key. */
export async function createTestStore(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
): Promise<TestStore> {
  const knex = await databases.init(databaseId);
  const store = await DatabasePromotionStore.create({
    keyring: testKeyring(),
    database: { getClient: async () => knex, migrations: { skip: false } },
  });
  return { knex, store };
}

/**
 * Makes a store with {@link createTestStore} before each test of the
 * enclosing `describe` block (`'each'`) or once before all of them
 * (`'all'`), hands it to `use`, and closes its connection after them.
 * Declare it before the hooks that use the store: hooks of one kind run in
 * the order they were declared.
 */
export function setUpTestStore(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  scope: 'each' | 'all',
  use: (made: TestStore) => void,
): void {
  const [before, after] =
    scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  let made: TestStore | undefined;
  before(async () => {
    made = await createTestStore(databases, databaseId);
    use(made);
  }, DATABASE_HOOK_TIMEOUT_MS);
  after(async () => {
    await made?.knex.destroy();
    made = undefined;
  }, DATABASE_HOOK_TIMEOUT_MS);
}
