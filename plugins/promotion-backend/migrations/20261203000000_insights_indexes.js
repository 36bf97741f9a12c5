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
 * Indexes for the governance insights (operations/insights/readInsights.ts),
 * which aggregate over a time range of the whole portal: the Production
 * deployments and violations of a range, the requests decided in a range,
 * the rollbacks of a range in an environment. Each leads with what the
 * query filters on, then the time it bounds. Varchar and timestamp columns
 * only, within MySQL's 3072-byte key limit in utf8mb4.
 */

/** @type {Array<{ table: string, name: string, columns: string[] }>} */
const INDEXES = [
  {
    // The deployments of an environment (Production) in a range.
    table: 'promotion_deployments',
    name: 'promotion_deployments_environment_time_idx',
    columns: ['environment_id', 'reported_at'],
  },
  {
    // The requests decided in a range.
    table: 'promotion_requests',
    name: 'promotion_requests_decided_idx',
    columns: ['decided_at'],
  },
  {
    // The rollbacks of an environment (Production) in a range.
    table: 'promotion_rollbacks',
    name: 'promotion_rollbacks_environment_time_idx',
    columns: ['environment_id', 'recorded_at'],
  },
];

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  for (const { table, name, columns } of INDEXES) {
    await knex.schema.alterTable(table, t => {
      t.index(columns, name);
    });
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  for (const { table, name, columns } of [...INDEXES].reverse()) {
    await knex.schema.alterTable(table, t => {
      t.dropIndex(columns, name);
    });
  }
};
