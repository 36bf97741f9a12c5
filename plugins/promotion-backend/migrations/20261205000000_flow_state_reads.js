/*
 * Copyright 2026 The Promotion Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

// @ts-check

/*
 * promotion_flow_state_reads keeps, per flow, the rows the flow state last
 * read (operations/flows/flowStateReads.ts): the answer of its one statement,
 * as JSON, with what it was read for (the ladder, the number of rollbacks)
 * and the link of the flow chain head it was read at. A later read of the
 * same flow state, while the head has that link, reads this one row instead
 * of the statement. Every change of a flow appends to its chain in the
 * transaction of the change, so the head moves on with every change and the
 * copy is not read again. Each row carries an HMAC with the audit key: a
 * copy changed in the database is not read.
 *
 * A copy, never the record: the rows can be deleted at any time and are
 * read again from the tables. On PostgreSQL the table is unlogged (no WAL,
 * emptied after a crash), as a copy needs no more.
 *
 * Comments contain no quotes: knex does not escape them in every dialect.
 */

const TABLE = 'promotion_flow_state_reads';

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable(TABLE, table => {
    table.comment(
      'Per flow, the rows the flow state last read, with the chain head they were read at. A copy: deletable.',
    );
    table
      .string('entity_ref', 255)
      .primary()
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .text('reads_key')
      .notNullable()
      .comment('What the rows were read for: the ladder and the rollbacks read, as JSON');
    table
      .string('head_link', 64)
      .notNullable()
      .comment('Link of the flow chain head when the rows were read');
    table
      .text('rows', 'longtext')
      .notNullable()
      .comment('The rows read, by read, as JSON');
    table
      .string('key_id', 64)
      .notNullable()
      .comment('Id of the audit key of the HMAC');
    table
      .string('mac', 64)
      .notNullable()
      .comment('HMAC of the flow, the key, the head link and the rows');
  });
  if (knex.client.dialect === 'postgresql') {
    await knex.raw('alter table ?? set unlogged', [TABLE]);
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable(TABLE);
};
