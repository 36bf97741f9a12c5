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
 * Superseded requests: a pending request is closed, with the reason in
 * words, when its version reaches its environment anyway or when a newer
 * version of the flow is requested for the same environment. The status
 * column already takes any word of up to 16 characters (superseded has 10).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('promotion_requests', table => {
    table
      .text('closed_reason')
      .nullable()
      .comment(
        'Why a superseded request was closed, in words; null for every other status',
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
      'closed_reason',
    ]);
    return;
  }
  await knex.schema.alterTable('promotion_requests', table => {
    table.dropColumn('closed_reason');
  });
};
