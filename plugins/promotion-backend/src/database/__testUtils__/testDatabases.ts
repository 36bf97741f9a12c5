import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';

type TestDatabaseIds = NonNullable<
  NonNullable<Parameters<typeof TestDatabases.create>[0]>['ids']
>;

/**
 * How long a hook may take to create, migrate or drop a test database. A
 * database is quick to create on an idle machine, but the whole suite runs
 * its files in parallel on a couple of cores, next to the database servers.
 */
export const DATABASE_HOOK_TIMEOUT_MS = 180_000;

/** How long a test on a real database may take on a busy machine. */
export const DATABASE_TEST_TIMEOUT_MS = 120_000;

/**
 * The databases the store is tested on: PostgreSQL, SQLite and MySQL (a
 * MariaDB 10.11 server stands in for MySQL 8).
 *
 * scripts/test.sh points TestDatabases at the local servers with
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING and
 * BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING (TestDatabases needs the
 * MySQL one as `mysql://user:password@host:port/database`; scripts/services.sh
 * creates that user).
 *
 * TestDatabases drops its databases in an `afterAll` hook limited to 60
 * seconds, too little for the dozens a file creates when the machine is busy.
 * This hook, registered first and so run first, does the same with
 * {@link DATABASE_HOOK_TIMEOUT_MS} and leaves the library's hook nothing to
 * do. (`shutdown` is what that hook calls; it is public in the JavaScript,
 * private only in the typings.)
 */
export function createTestDatabases(
  ids: TestDatabaseIds = ['POSTGRES_15', 'SQLITE_3', 'MYSQL_8'],
): TestDatabases {
  let databases: TestDatabases | undefined = undefined;
  afterAll(async () => {
    const { shutdown } = databases as unknown as {
      shutdown?: () => Promise<void>;
    };
    await shutdown?.call(databases);
  }, DATABASE_HOOK_TIMEOUT_MS);
  databases = TestDatabases.create({ ids });
  return databases;
}

/**
 * A fresh, empty database of this kind for each test (no migrations run),
 * handed to `use`, and destroyed after it: what the migration tests start
 * from. (`setUpTestStore` gives a migrated store instead.)
 */
export function setUpEmptyDatabase(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  use: (knex: Knex) => void,
): void {
  let knex: Knex | undefined;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
    use(knex);
  }, DATABASE_HOOK_TIMEOUT_MS);
  afterEach(async () => {
    await knex?.destroy();
    knex = undefined;
  }, DATABASE_HOOK_TIMEOUT_MS);
}
