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
 * Indexes for reads bounded by what they answer, not by a flow's history:
 * the gate for a version into an environment and the flow state read the
 * rows of a few versions in a few environments, the newest row of an
 * environment, the pending requests and the latest rollbacks
 * (operations/flows/getGateFacts.ts, getFlowStateFacts.ts). Each index leads
 * with the flow and the environment, then what the read selects or orders
 * by. Varchar columns only, within MySQL's 3072-byte key limit in utf8mb4.
 */

/** @type {Array<{ table: string, name: string, columns: string[] }>} */
const INDEXES = [
  {
    // The deployments of a version in an environment.
    table: 'promotion_deployments',
    name: 'promotion_deployments_version_idx',
    columns: ['entity_ref', 'environment_id', 'version'],
  },
  {
    // The newest deployment standing in an environment; those after a rollback.
    table: 'promotion_deployments',
    name: 'promotion_deployments_reported_idx',
    columns: ['entity_ref', 'environment_id', 'reported_at'],
  },
  {
    // The completions for a version (or the flow, '') in an environment.
    table: 'promotion_checklist_completions',
    name: 'promotion_checklist_completions_version_idx',
    columns: ['entity_ref', 'environment_id', 'version'],
  },
  {
    // The sign-offs of a version in an environment.
    table: 'promotion_sign_offs',
    name: 'promotion_sign_offs_version_idx',
    columns: ['entity_ref', 'environment_id', 'version'],
  },
  {
    // The pending requests of a flow, or of a flow into an environment.
    table: 'promotion_requests',
    name: 'promotion_requests_flow_status_idx',
    columns: ['entity_ref', 'status', 'environment_id'],
  },
  {
    // The active standing approvals of an environment, and the one revoked last.
    table: 'promotion_standing_approvals',
    name: 'promotion_standing_approvals_revoked_idx',
    columns: ['entity_ref', 'environment_id', 'revoked_at'],
  },
  {
    // The standing approval granted last in an environment.
    table: 'promotion_standing_approvals',
    name: 'promotion_standing_approvals_granted_idx',
    columns: ['entity_ref', 'environment_id', 'granted_at'],
  },
  {
    // The latest rollbacks of a flow.
    table: 'promotion_rollbacks',
    name: 'promotion_rollbacks_recorded_idx',
    columns: ['entity_ref', 'recorded_at'],
  },
  {
    // The latest rollback in an environment.
    table: 'promotion_rollbacks',
    name: 'promotion_rollbacks_environment_idx',
    columns: ['entity_ref', 'environment_id', 'recorded_at'],
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
