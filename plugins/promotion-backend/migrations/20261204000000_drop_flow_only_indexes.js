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
 * Drops the indexes on entity_ref alone of the deployments, the sign-offs
 * and the requests. Each table has indexes that lead with entity_ref and go
 * on to the environment and the version (or the status), which serve every
 * read of a flow's rows as well. The gate's and the flow state's statements
 * are prepared statements on PostgreSQL, soon run on a generic plan made
 * for every flow at once: with an index on entity_ref alone the planner
 * reckons an average flow's few rows and reads a flow's whole history
 * through it, filtered, rather than its few rows of one version through the
 * (entity_ref, environment_id, version) index
 * (operations/flows/flowReads.plans.test.ts). One index fewer to write on
 * every deployment, sign-off and request, too.
 *
 * The requests' stays on MySQL: there a deployment's locking read of the
 * flow's pending request (operations/requests/supersedeRequests.ts) locks
 * the index entries it goes through, and a decision that holds the request
 * moves the request's entries in the other indexes (its status, its
 * pending key): through entity_ref alone the deployment waits for the
 * decision instead of deadlocking with it. MySQL's statements are not
 * prepared, so it plans each read for its own flow.
 */

/** @type {Array<{ table: string, name: string, columns: string[], keptOnMysql?: boolean }>} */
const INDEXES = [
  {
    table: 'promotion_deployments',
    name: 'promotion_deployments_entity_ref_idx',
    columns: ['entity_ref'],
  },
  {
    table: 'promotion_sign_offs',
    name: 'promotion_sign_offs_entity_ref_idx',
    columns: ['entity_ref'],
  },
  {
    table: 'promotion_requests',
    name: 'promotion_requests_entity_ref_idx',
    columns: ['entity_ref'],
    keptOnMysql: true,
  },
];

/**
 * The indexes dropped on this database.
 * @param {import('knex').Knex} knex
 */
function droppedOn(knex) {
  const mysql = ['mysql', 'mysql2'].includes(knex.client.config.client);
  return INDEXES.filter(index => !(mysql && index.keptOnMysql));
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  for (const { table, name, columns } of droppedOn(knex)) {
    await knex.schema.alterTable(table, t => {
      t.dropIndex(columns, name);
    });
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  for (const { table, name, columns } of [...droppedOn(knex)].reverse()) {
    await knex.schema.alterTable(table, t => {
      t.index(columns, name);
    });
  }
};
