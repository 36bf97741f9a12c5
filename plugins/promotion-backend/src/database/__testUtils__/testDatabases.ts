import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

/**
 * The databases the store is tested on: PostgreSQL, SQLite and MySQL (a
 * MariaDB 10.11 server stands in for MySQL 8).
 *
 * TestDatabases reads the MySQL server from
 * BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING and only accepts the form
 * `mysql://user:password@host:port/database`: for a string without a
 * password, such as `mysql://root@127.0.0.1:3306`, it throws on every test.
 * MYSQL_8 is then left out, with a warning, instead of failing all of them.
 */
export function createTestDatabases(): TestDatabases {
  const ids: TestDatabaseId[] = ['POSTGRES_15', 'SQLITE_3'];
  const mysql = process.env.BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING;
  if (mysql && !hasUserPasswordAndDatabase(mysql)) {
    // eslint-disable-next-line no-console
    console.warn(
      'Skipping MYSQL_8: BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING must look like mysql://user:password@host:port/database',
    );
  } else {
    ids.push('MYSQL_8');
  }
  return TestDatabases.create({ ids });
}

function hasUserPasswordAndDatabase(connectionString: string): boolean {
  try {
    const url = new URL(connectionString);
    return Boolean(
      url.username && url.password && /^\/[^/]+$/.test(url.pathname),
    );
  } catch {
    return false;
  }
}
