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
 * Break-glass: an emergency deployment of a version past a closed gate,
 * declared with a reason and an incident link, approved (or not needed, for
 * the on-call), used by one deployment, then reviewed afterwards. The
 * deployment records which declaration it went in on.
 * - Comments contain no quotes: knex does not escape them in every dialect.
 */

const ENTITY_REF = 255;
const NAME = 100;

/**
 * @param {import('knex').Knex.CreateTableBuilder} table
 * @param {string} name
 * @param {string} comment
 */
function timestamp(table, name, comment) {
  return table.datetime(name, { useTz: true, precision: 3 }).comment(comment);
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('promotion_break_glasses', table => {
    table.comment(
      'Break-glass declarations: emergency deployments past a closed gate',
    );
    table.uuid('id').primary().notNullable().comment('Declaration id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('The environment');
    table.string('version', NAME).notNullable().comment('The version');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, approved, rejected or used');
    table.text('reason').notNullable().comment('Why it cannot wait');
    table.text('incident_link').notNullable().comment('The incident');
    table
      .string('declared_by', ENTITY_REF)
      .notNullable()
      .comment('Who declared it');
    timestamp(table, 'declared_at', 'When it was declared').notNullable();
    table
      .integer('approvals_needed')
      .notNullable()
      .comment('Approvals it needed: 0 or 1');
    timestamp(
      table,
      'expires_at',
      'When it stops opening the gate',
    ).notNullable();
    table
      .string('decided_by', ENTITY_REF)
      .nullable()
      .comment('Who approved or rejected it');
    timestamp(table, 'decided_at', 'When').nullable();
    table.text('decision_comment').nullable().comment('The decision comment');
    table
      .uuid('deployment_id')
      .nullable()
      .comment('The deployment that went in on it');
    timestamp(table, 'used_at', 'When it was used').nullable();
    table
      .text('overridden_conditions')
      .nullable()
      .comment('JSON array of the gate conditions it overrode');
    table
      .string('review_closed_by', ENTITY_REF)
      .nullable()
      .comment('Who closed the retrospective review');
    timestamp(table, 'review_closed_at', 'When').nullable();
    table.text('review_comment').nullable().comment('The review comment');

    table.index(['entity_ref'], 'promotion_break_glasses_entity_ref_idx');
    table.index(['status'], 'promotion_break_glasses_status_idx');
  });
  await knex.schema.alterTable('promotion_deployments', table => {
    table
      .uuid('break_glass_id')
      .nullable()
      .comment('The break-glass declaration it went in on');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.dialect === 'sqlite3') {
    // Dropped in place: knex would copy the table (see 20261128000000).
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [
      'promotion_deployments',
      'break_glass_id',
    ]);
  } else {
    await knex.schema.alterTable('promotion_deployments', table => {
      table.dropColumn('break_glass_id');
    });
  }
  await knex.schema.dropTable('promotion_break_glasses');
};
