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
 * Conventions:
 * - Timestamps are `datetime` with time zone and millisecond precision:
 *   `timestamptz(3)` on PostgreSQL, `datetime(3)` on MySQL (no TIMESTAMP
 *   auto-update quirks, no 2038 limit), a number of milliseconds on SQLite.
 *   The store always writes them explicitly and normalises them on read.
 * - JSON documents are stored as text and parsed by the store's mappers.
 * - Unique indexes never rely on NULLs: flow-scoped checklist completions
 *   store `version` as '', and the active completion (pending request) is
 *   told apart from undone (decided) ones by a key column that is '' while
 *   active and the row id afterwards.
 * - Comments contain no quotes: knex does not escape them in every dialect.
 */

const ENTITY_REF = 255;
const ID = 36;
const NAME = 100;
const HASH = 64;

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
  await knex.schema.createTable('promotion_deployments', table => {
    table.comment('Deployments of a version of a flow into an environment');
    table.uuid('id').primary().notNullable().comment('Deployment id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('Environment id from the policy');
    table.string('version', NAME).notNullable().comment('Deployed version');
    table.string('status', 16).notNullable().comment('succeeded or failed');
    table.text('link').nullable().comment('Link to the pipeline run');
    table
      .string('idempotency_key', NAME)
      .nullable()
      .comment('Client key; a replay with the same key is not recorded twice');
    table
      .string('reported_by', ENTITY_REF)
      .notNullable()
      .comment('User entity ref or service:<subject> of the reporter');
    timestamp(
      table,
      'reported_at',
      'When the deployment was reported',
    ).notNullable();
    table
      .boolean('violation')
      .notNullable()
      .comment('True when the gate was closed when it was reported');
    table
      .text('unmet_conditions', 'mediumtext')
      .notNullable()
      .comment('JSON array of the gate conditions unmet when it was reported');
    timestamp(
      table,
      'rolled_back_at',
      'When the version was rolled back here',
    ).nullable();
    table
      .uuid('rollback_id')
      .nullable()
      .comment('The rollback that reverted this deployment');

    table.unique(['entity_ref', 'idempotency_key'], {
      indexName: 'promotion_deployments_idempotency_key_uniq',
    });
    table.index(['entity_ref'], 'promotion_deployments_entity_ref_idx');
    table.index(['reported_at'], 'promotion_deployments_reported_at_idx');
  });

  await knex.schema.createTable('promotion_checklist_completions', table => {
    table.comment(
      'Completed validation and post-deployment checklist items, undone ones kept as history',
    );
    table.uuid('id').primary().notNullable().comment('Completion id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('Environment id from the policy');
    table
      .string('kind', 32)
      .notNullable()
      .comment('validation or post-deployment');
    table
      .string('item_id', NAME)
      .notNullable()
      .comment('Checklist item id from the policy');
    table
      .string('version', NAME)
      .notNullable()
      .comment('Version for version-scoped items, empty for flow-scoped items');
    table
      .string('completed_by', ENTITY_REF)
      .notNullable()
      .comment('Who completed the item');
    timestamp(
      table,
      'completed_at',
      'When the item was completed',
    ).notNullable();
    table.text('evidence_link').nullable().comment('Link to the evidence');
    table.text('note').nullable().comment('Free-text note');
    timestamp(table, 'undone_at', 'When the completion was undone').nullable();
    table
      .string('undone_by', ENTITY_REF)
      .nullable()
      .comment('Who undid the completion');
    table.text('undo_reason').nullable().comment('Why it was undone');
    table
      .string('undone_key', ID)
      .notNullable()
      .comment(
        'Empty while active, the row id once undone: one active completion per item in the unique index',
      );

    table.unique(
      [
        'entity_ref',
        'environment_id',
        'kind',
        'item_id',
        'version',
        'undone_key',
      ],
      { indexName: 'promotion_checklist_completions_active_uniq' },
    );
  });

  await knex.schema.createTable('promotion_sign_offs', table => {
    table.comment(
      'Sign-offs: the owner confirms the results of an environment',
    );
    table.uuid('id').primary().notNullable().comment('Sign-off id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('Environment id from the policy');
    table.string('version', NAME).notNullable().comment('Signed-off version');
    table
      .string('signed_off_by', ENTITY_REF)
      .notNullable()
      .comment('Who signed off');
    timestamp(table, 'signed_off_at', 'When').notNullable();
    table.text('comment').notNullable().comment('The written comment');

    table.index(['entity_ref'], 'promotion_sign_offs_entity_ref_idx');
  });

  await knex.schema.createTable('promotion_requests', table => {
    table.comment(
      'Promotion requests: a version asking to enter an environment',
    );
    table.uuid('id').primary().notNullable().comment('Request id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('The environment the version asks to enter');
    table.string('version', NAME).notNullable().comment('The version');
    table
      .string('status', 16)
      .notNullable()
      .comment('pending, approved, rejected, withdrawn or expired');
    table
      .text('dossier', 'mediumtext')
      .notNullable()
      .comment('JSON dossier: what changed, why, test results, release notes');
    table
      .string('dossier_hash', HASH)
      .notNullable()
      .comment('sha256 of the canonical JSON of the dossier');
    table
      .integer('revision')
      .notNullable()
      .comment('Starts at 1, incremented on every edit of the dossier');
    table.string('requested_by', ENTITY_REF).notNullable().comment('Who asked');
    timestamp(table, 'created_at', 'When the request was made').notNullable();
    timestamp(table, 'updated_at', 'Last change').notNullable();
    timestamp(
      table,
      'expires_at',
      'When a pending request expires',
    ).notNullable();
    timestamp(table, 'decided_at', 'When it left pending').nullable();
    table
      .string('pending_key', ID)
      .notNullable()
      .comment(
        'Empty while pending, the row id afterwards: one pending request per version and environment in the unique index',
      );

    table.unique(['entity_ref', 'environment_id', 'version', 'pending_key'], {
      indexName: 'promotion_requests_one_pending_uniq',
    });
    table.index(['entity_ref'], 'promotion_requests_entity_ref_idx');
    table.index(['status', 'expires_at'], 'promotion_requests_status_idx');
  });

  await knex.schema.createTable('promotion_decisions', table => {
    table.comment('Approve or reject decisions on promotion requests');
    table.uuid('id').primary().notNullable().comment('Decision id');
    table
      .uuid('request_id')
      .notNullable()
      .references('id')
      .inTable('promotion_requests')
      .onDelete('CASCADE')
      .comment('The request decided on');
    table
      .integer('request_revision')
      .notNullable()
      .comment('The request revision the decision was given on');
    table
      .string('dossier_hash', HASH)
      .notNullable()
      .comment('The dossier hash the decision was given on');
    table.string('decision', 16).notNullable().comment('approve or reject');
    table.string('decided_by', ENTITY_REF).notNullable().comment('Who decided');
    timestamp(table, 'decided_at', 'When').notNullable();
    table.text('comment').notNullable().comment('The written comment');
    timestamp(
      table,
      'voided_at',
      'Set when the dossier was edited afterwards: the decision no longer counts',
    ).nullable();

    table.unique(['request_id', 'request_revision', 'decided_by'], {
      indexName: 'promotion_decisions_once_per_revision_uniq',
    });
  });

  await knex.schema.createTable('promotion_standing_approvals', table => {
    table.comment(
      'One-time approvals of a flow into an environment (mode once)',
    );
    table.uuid('id').primary().notNullable().comment('Standing approval id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('The environment it lets the flow enter');
    table
      .uuid('request_id')
      .nullable()
      .comment('The approved request that granted it');
    timestamp(table, 'granted_at', 'When it was granted').notNullable();
    table
      .text('granted_by')
      .notNullable()
      .comment('JSON array of the approvers whose decisions granted it');
    timestamp(table, 'revoked_at', 'When it was revoked').nullable();
    table.string('revoked_by', ENTITY_REF).nullable().comment('Who revoked it');
    table.text('revoke_reason').nullable().comment('Why it was revoked');

    table.index(
      ['entity_ref', 'environment_id'],
      'promotion_standing_approvals_flow_idx',
    );
  });

  await knex.schema.createTable('promotion_rollbacks', table => {
    table.comment('Reverts of a version in an environment');
    table.uuid('id').primary().notNullable().comment('Rollback id');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .notNullable()
      .comment('The environment');
    table
      .string('from_version', NAME)
      .notNullable()
      .comment('The version that was reverted');
    table
      .string('to_version', NAME)
      .nullable()
      .comment('The previous working version');
    table.text('reason').notNullable().comment('Why');
    table
      .text('incident_link')
      .nullable()
      .comment('Link to the incident report');
    table
      .string('recorded_by', ENTITY_REF)
      .notNullable()
      .comment('Who recorded it');
    timestamp(table, 'recorded_at', 'When').notNullable();

    table.index(['entity_ref'], 'promotion_rollbacks_entity_ref_idx');
  });

  await knex.schema.createTable('promotion_audit_events', table => {
    table.comment('The hash-chained audit trail');
    table.uuid('id').primary().notNullable().comment('Event id');
    table
      .bigInteger('seq')
      .notNullable()
      .unique({ indexName: 'promotion_audit_events_seq_uniq' })
      .comment('Position in the chain, from 1, without gaps');
    table.string('type', 64).notNullable().comment('Event type');
    table
      .string('entity_ref', ENTITY_REF)
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .string('environment_id', NAME)
      .nullable()
      .comment('The environment, where relevant');
    table
      .string('version', NAME)
      .nullable()
      .comment('The version, where relevant');
    table
      .string('actor', ENTITY_REF)
      .notNullable()
      .comment('User entity ref or service:<subject>');
    timestamp(table, 'occurred_at', 'When').notNullable();
    table.text('summary').notNullable().comment('Why, in words');
    table
      .text('payload', 'mediumtext')
      .notNullable()
      .comment('JSON: what changed');
    table
      .string('previous_hash', HASH)
      .notNullable()
      .comment('Hash of the event before; 64 zeros for the first');
    table
      .string('hash', HASH)
      .notNullable()
      .comment('sha256 of the canonical JSON of this event');

    table.index(['entity_ref', 'seq'], 'promotion_audit_events_entity_ref_idx');
    table.index(['occurred_at'], 'promotion_audit_events_occurred_at_idx');
  });

  await knex.schema.createTable('promotion_audit_chain_head', table => {
    table.comment(
      'One row: the last event of the chain. Appends lock it to serialise.',
    );
    table.integer('id').primary().notNullable().comment('Always 1');
    table
      .bigInteger('seq')
      .notNullable()
      .comment('Seq of the last event, 0 before the first');
    table
      .string('hash', HASH)
      .notNullable()
      .comment('Hash of the last event, 64 zeros before the first');
  });
  await knex('promotion_audit_chain_head').insert({
    id: 1,
    seq: 0,
    hash: '0'.repeat(HASH),
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('promotion_audit_chain_head');
  await knex.schema.dropTable('promotion_audit_events');
  await knex.schema.dropTable('promotion_rollbacks');
  await knex.schema.dropTable('promotion_standing_approvals');
  await knex.schema.dropTable('promotion_decisions');
  await knex.schema.dropTable('promotion_requests');
  await knex.schema.dropTable('promotion_sign_offs');
  await knex.schema.dropTable('promotion_checklist_completions');
  await knex.schema.dropTable('promotion_deployments');
};
