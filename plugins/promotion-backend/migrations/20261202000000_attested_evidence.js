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
 * Attested checklist items: a pipeline completes an item declared
 * `attestedBy: pipeline` or `both` with an evidence link (the existing
 * evidence_link column) and a short result, kept here. People's completions
 * have none (null), as every completion recorded before.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('promotion_checklist_completions', table => {
    table
      .text('result')
      .nullable()
      .comment(
        'A pipeline\'s short result of the item it attested ("1,284 passed"); null for people',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.dialect === 'sqlite3') {
    // knex would copy the table into a new one and drop the old one; SQLite
    // 3.35 and later drop an unindexed column in place.
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [
      'promotion_checklist_completions',
      'result',
    ]);
    return;
  }
  await knex.schema.alterTable('promotion_checklist_completions', table => {
    table.dropColumn('result');
  });
};
