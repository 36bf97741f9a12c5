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

/*
 * The keyed audit chain: a chain per flow instead of one for the plugin.
 *
 * - promotion_audit_events is rebuilt with an auto-increment seq. The seq
 *   stays the unique, increasing number the API orders and pages by, but it
 *   is no longer allocated under a plugin-wide lock: a transaction that rolls
 *   back leaves a gap, so seq may have gaps from here on. Every event now
 *   also carries chain_seq (its position in its flow chain, from 1, without
 *   gaps) and key_id (the audit signing key whose HMAC-SHA256 is its link in
 *   the hash column; previous_hash is the link of the flow event before it).
 * - Events recorded before this migration keep their unkeyed sha256 hashes
 *   and key_id sha256-legacy: they are verified with the old algorithm, as
 *   one global chain, a legacy prefix that promotion_audit_chain_head (no
 *   longer written) still ends. Their chain_seq is their position among the
 *   events of their flow, so the flow chains continue from them.
 * - promotion_audit_chains holds the head of each flow chain. Appends lock
 *   that row (only the rows of the flows they write), so writes on different
 *   flows proceed in parallel. Heads written from here on carry an HMAC of
 *   their content; the heads this migration creates from the legacy prefix
 *   carry none (key_id sha256-legacy) until their flow next appends.
 * - promotion_audit_chain_locks holds 256 stripe rows. On MySQL, looking up
 *   a flow head that does not exist yet takes a gap lock, and two
 *   transactions creating heads in the same gap deadlock; so on MySQL an
 *   append first locks the stripe of its flow (a hash of the flow, an
 *   existing row), then inserts its head if missing and locks it. Two flows
 *   share a stripe one time in 256; other databases do not use them.
 * - promotion_audit_checkpoints keeps the signed checkpoints of every flow
 *   head (an auditor keeps their own copy outside the database).
 *
 * Comments contain no quotes: knex does not escape them in every dialect.
 */

const ENTITY_REF = 255;
const NAME = 100;
const HASH = 64;
const KEY_ID = 64;
const LEGACY_KEY_ID = 'sha256-legacy';

const EVENTS = 'promotion_audit_events';
const COMMON_COLUMNS = [
  'id',
  'seq',
  'type',
  'entity_ref',
  'environment_id',
  'version',
  'actor',
  'occurred_at',
  'summary',
  'payload',
  'previous_hash',
  'hash',
];

/**
 * The columns both layouts share.
 * @param {import('knex').Knex.CreateTableBuilder} table
 */
function eventColumns(table) {
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
  table
    .datetime('occurred_at', { useTz: true, precision: 3 })
    .notNullable()
    .comment('When');
  table.text('summary').notNullable().comment('Why, in words');
  table
    .text('payload', 'mediumtext')
    .notNullable()
    .comment('JSON: what changed');
}

/**
 * @param {import('knex').Knex} knex
 * @param {string} table
 */
async function eventIndexes(knex, table) {
  await knex.schema.alterTable(table, t => {
    t.index(['entity_ref', 'seq'], 'promotion_audit_events_entity_ref_idx');
    t.index(['occurred_at'], 'promotion_audit_events_occurred_at_idx');
  });
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const staging = 'promotion_audit_events_keyed';
  await knex.schema.createTable(staging, table => {
    table.comment('The audit trail: a keyed hash chain per flow');
    table
      .bigIncrements('seq', { primaryKey: true })
      .comment('Order of recording; unique and increasing, may have gaps');
    table
      .uuid('id')
      .notNullable()
      .unique({ indexName: 'promotion_audit_events_id_uniq' })
      .comment('Event id');
    eventColumns(table);
    table
      .bigInteger('chain_seq')
      .notNullable()
      .comment('Position in the chain of its flow, from 1, without gaps');
    table
      .string('key_id', KEY_ID)
      .notNullable()
      .comment('Id of the signing key of the link, or sha256-legacy');
    table
      .string('previous_hash', HASH)
      .notNullable()
      .comment('Link of the event before; 64 zeros for the first');
    table
      .string('hash', HASH)
      .notNullable()
      .comment('The link: HMAC-SHA256 of the canonical JSON of this event');
  });
  const columns = COMMON_COLUMNS.map(() => '??').join(', ');
  await knex.raw(
    `insert into ?? (${columns}, ??, ??) select ${columns}, ` +
      'row_number() over (partition by ?? order by ??), ? from ??',
    [
      staging,
      ...COMMON_COLUMNS,
      'chain_seq',
      'key_id',
      ...COMMON_COLUMNS,
      'entity_ref',
      'seq',
      LEGACY_KEY_ID,
      EVENTS,
    ],
  );
  if (knex.client.dialect === 'postgresql') {
    // Explicit seq values do not advance the sequence (MySQL and SQLite
    // continue after the largest value by themselves).
    await knex.raw(
      `select setval(pg_get_serial_sequence(?, 'seq'), coalesce(max(seq), 0) + 1, false) from ??`,
      [staging, staging],
    );
  }
  await knex.schema.dropTable(EVENTS);
  await knex.schema.renameTable(staging, EVENTS);
  await eventIndexes(knex, EVENTS);
  await knex.schema.alterTable(EVENTS, t => {
    t.unique(['entity_ref', 'chain_seq'], {
      indexName: 'promotion_audit_events_chain_uniq',
    });
  });

  await knex.schema.createTable('promotion_audit_chains', table => {
    table.comment(
      'The head of each flow audit chain. Appends lock the rows of their flows.',
    );
    table
      .string('entity_ref', ENTITY_REF)
      .primary()
      .notNullable()
      .comment('The flow: catalog entity ref');
    table
      .bigInteger('chain_seq')
      .notNullable()
      .comment('Chain position of the last event of the flow');
    table
      .bigInteger('seq')
      .notNullable()
      .comment('Seq of the last event of the flow');
    table
      .string('link', HASH)
      .notNullable()
      .comment('Link of the last event of the flow');
    table
      .string('key_id', KEY_ID)
      .notNullable()
      .comment('Id of the signing key of mac, or sha256-legacy for none');
    table
      .string('mac', HASH)
      .notNullable()
      .comment('HMAC-SHA256 of this head; empty for sha256-legacy');
  });
  await knex.raw(
    'insert into ?? (??, ??, ??, ??, ??, ??) select ??, ??, ??, ??, ?, ? from ?? e ' +
      'where e.chain_seq = (select max(f.chain_seq) from ?? f where f.entity_ref = e.entity_ref)',
    [
      'promotion_audit_chains',
      'entity_ref',
      'chain_seq',
      'seq',
      'link',
      'key_id',
      'mac',
      'entity_ref',
      'chain_seq',
      'seq',
      'hash',
      LEGACY_KEY_ID,
      '',
      EVENTS,
      EVENTS,
    ],
  );

  await knex.schema.createTable('promotion_audit_chain_locks', table => {
    table.comment(
      'Stripes locked before a flow chain head on MySQL, where a missing head row takes a gap lock',
    );
    table.integer('stripe').primary().notNullable().comment('0 to 255');
    table.integer('n').notNullable().comment('Unused; the lock is the point');
  });
  await knex('promotion_audit_chain_locks').insert(
    Array.from({ length: 256 }, (_, stripe) => ({ stripe, n: 0 })),
  );

  await knex.schema.createTable('promotion_audit_checkpoints', table => {
    table.comment(
      'Signed checkpoints of every flow chain head; auditors keep copies outside the database',
    );
    table.uuid('id').primary().notNullable().comment('Checkpoint id');
    table
      .datetime('created_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('When');
    table
      .string('created_by', ENTITY_REF)
      .notNullable()
      .comment('User entity ref, or service:promotion for the schedule');
    table
      .string('digest', HASH)
      .notNullable()
      .unique({ indexName: 'promotion_audit_checkpoints_digest_uniq' })
      .comment('sha256 of the canonical JSON of the heads');
    table.string('key_id', KEY_ID).notNullable().comment('Signing key id');
    table
      .string('mac', HASH)
      .notNullable()
      .comment('HMAC-SHA256 of the checkpoint');
    table.integer('flows').notNullable().comment('Number of flow chains');
    table
      .bigInteger('events')
      .notNullable()
      .comment('Sum of the chain positions of the heads');
    table
      .text('body', 'mediumtext')
      .notNullable()
      .comment('JSON: the signed checkpoint');
    table.index(['created_at'], 'promotion_audit_checkpoints_created_at_idx');
  });
};

/**
 * Back to one global chain. Every event is kept with its seq, but the events
 * recorded since the up migration are keyed links of their flow chains, which
 * the old unkeyed verification reports as broken; the chain head is set to
 * the last event so that appends continue after it.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('promotion_audit_checkpoints');
  await knex.schema.dropTable('promotion_audit_chain_locks');
  await knex.schema.dropTable('promotion_audit_chains');

  const staging = 'promotion_audit_events_global';
  await knex.schema.createTable(staging, table => {
    table.comment('The hash-chained audit trail');
    table.uuid('id').primary().notNullable().comment('Event id');
    table
      .bigInteger('seq')
      .notNullable()
      .comment('Position in the chain, from 1, without gaps');
    eventColumns(table);
    table
      .string('previous_hash', HASH)
      .notNullable()
      .comment('Hash of the event before; 64 zeros for the first');
    table
      .string('hash', HASH)
      .notNullable()
      .comment('sha256 of the canonical JSON of this event');
  });
  const columns = COMMON_COLUMNS.map(() => '??').join(', ');
  await knex.raw(`insert into ?? (${columns}) select ${columns} from ??`, [
    staging,
    ...COMMON_COLUMNS,
    ...COMMON_COLUMNS,
    EVENTS,
  ]);
  await knex.schema.dropTable(EVENTS);
  await knex.schema.renameTable(staging, EVENTS);
  await knex.schema.alterTable(EVENTS, t => {
    t.unique(['seq'], { indexName: 'promotion_audit_events_seq_uniq' });
  });
  await eventIndexes(knex, EVENTS);

  const last = await knex(EVENTS).orderBy('seq', 'desc').first();
  if (last) {
    await knex('promotion_audit_chain_head')
      .where({ id: 1 })
      .update({ seq: last.seq, hash: last.hash });
  }
};
