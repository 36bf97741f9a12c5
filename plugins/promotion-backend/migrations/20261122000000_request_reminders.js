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
 * Reminders: when the approvers of a pending request were last reminded.
 * The reminder query selects pending, unexpired requests through the
 * existing promotion_requests_status_idx on (status, expires_at), so no new
 * index is needed.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('promotion_requests', table => {
    table
      .datetime('last_reminded_at', { useTz: true, precision: 3 })
      .nullable()
      .comment(
        'When the approvers were last reminded of the pending request; null before the first reminder',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.dialect === 'sqlite3') {
    // knex would copy the table into a new one and drop the old one, whose
    // ON DELETE CASCADE would take every decision with it. SQLite 3.35 and
    // later drop an unindexed column in place.
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [
      'promotion_requests',
      'last_reminded_at',
    ]);
    return;
  }
  await knex.schema.alterTable('promotion_requests', table => {
    table.dropColumn('last_reminded_at');
  });
};
