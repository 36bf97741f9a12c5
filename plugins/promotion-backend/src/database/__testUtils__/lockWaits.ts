import { Knex } from 'knex';

/** How long a test waits for a query to block before it fails. */
const GIVE_UP_AFTER_MS = 60_000;
const POLL_EVERY_MS = 20;

/**
 * How many other sessions on this database are blocked, waiting for a lock
 * (a row lock, or a tuple lock queued behind one). Each test gets its own
 * logical database from TestDatabases, so they are the test's own queries.
 */
async function sessionsWaitingForLocks(knex: Knex): Promise<number> {
  const client = String(knex.client.config.client);
  if (client === 'pg') {
    const { rows } = await knex.raw(
      `select count(*) as waiting from pg_stat_activity
        where datname = current_database()
          and pid <> pg_backend_pid()
          and wait_event_type = 'Lock'`,
    );
    return Number(rows[0].waiting);
  }
  if (client === 'mysql' || client === 'mysql2') {
    // information_schema.innodb_trx is a cache that MariaDB 10.11 does not
    // always refresh; the InnoDB monitor lists the lock waits as they are.
    const [[{ Status: status }]] = await knex.raw('show engine innodb status');
    const threadIds = String(status)
      .split(/^---TRANSACTION /m)
      .filter(transaction => /^LOCK WAIT /m.test(transaction))
      .map(transaction => /(?:MariaDB|MySQL) thread id (\d+)/.exec(transaction))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(match => Number(match[1]));
    if (threadIds.length === 0) {
      return 0;
    }
    const [rows] = await knex.raw(
      `select count(*) as waiting from information_schema.processlist
        where db = database() and id in (${threadIds
          .map(() => '?')
          .join(', ')})`,
      threadIds,
    );
    return Number(rows[0].waiting);
  }
  throw new Error(
    `Cannot see lock waits on ${client}: only PostgreSQL and MySQL have row locks`,
  );
}

/**
 * Resolves once `count` queries on this test database are blocked waiting for
 * a lock: the point a race test needs to reach before it lets the lock go.
 * Polls the database's own view of its sessions (pg_stat_activity on
 * PostgreSQL, the InnoDB monitor on MySQL/MariaDB) instead of guessing with
 * a sleep, so a slow machine only makes the test slower.
 *
 * Fails, rather than passing without testing the race, when `operation`
 * settles before it blocked, or when the queries are not blocked within a
 * minute. On failure it rolls back `holder`, the transaction holding the
 * lock, so that the blocked queries and the test's clean-up can finish.
 */
export async function waitUntilBlockedOnLocks(
  knex: Knex,
  options: {
    count: number;
    operation: Promise<unknown>;
    holder: Knex.Transaction;
  },
): Promise<void> {
  const { count, operation, holder } = options;
  let settled = false;
  operation.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const started = Date.now();
  try {
    for (;;) {
      const waiting = await sessionsWaitingForLocks(knex);
      if (waiting >= count) {
        return;
      }
      if (settled) {
        throw new Error(
          `The operation finished before ${count} of its queries waited for a lock (${waiting} did): the race was not tested`,
        );
      }
      if (Date.now() - started > GIVE_UP_AFTER_MS) {
        throw new Error(
          `Gave up after ${
            GIVE_UP_AFTER_MS / 1000
          } s waiting for ${count} queries to wait for a lock; ${waiting} did`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, POLL_EVERY_MS));
    }
  } catch (error) {
    await holder.rollback();
    throw error;
  }
}
