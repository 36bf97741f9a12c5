import { TestDatabases } from '@backstage/backend-test-utils';

/**
 * The databases the store is tested on: PostgreSQL, SQLite and MySQL (a
 * MariaDB 10.11 server stands in for MySQL 8).
 *
 * scripts/test.sh points TestDatabases at the local servers with
 * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING and
 * BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING (TestDatabases needs the
 * MySQL one as `mysql://user:password@host:port/database`; scripts/services.sh
 * creates that user).
 */
export function createTestDatabases(): TestDatabases {
  return TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3', 'MYSQL_8'] });
}
