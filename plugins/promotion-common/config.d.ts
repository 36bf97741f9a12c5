export interface Config {
  /**
   * Promotion: the release ladder every opted-in flow climbs, and the rules
   * of its gate. An entity opts in with the `promotion.io/policy` annotation,
   * whose value names one of the `policies`.
   */
  promotion?: {
    /**
     * How long a pending promotion request waits for its approvals before it
     * expires. A duration object such as `{ days: 14 }` or an ISO 8601
     * duration such as `P14D`. Defaults to 14 days.
     */
    requestExpiry?:
      | {
          years?: number;
          months?: number;
          weeks?: number;
          days?: number;
          hours?: number;
          minutes?: number;
          seconds?: number;
          milliseconds?: number;
        }
      | string;

    /**
     * Whether a request for a newer version of a flow closes (supersedes) the
     * flow's pending request for an older version into the same environment.
     * Defaults to true.
     */
    supersedeOlderRequests?: boolean;

    /**
     * The governance insights on the Approvals page and the Promotion tab
     * (`GET /api/promotion/insights`).
     */
    insights?: {
      /**
       * The environment ids counted as Production: their deployments are
       * the Production deployments, their rollbacks the change failures, and
       * a version's first deployment into one ends its Dev to Production
       * time. Defaults to `[production]`.
       */
      productionEnvironments?: string[];
      /** The longest range one request may cover, in days. Defaults to 366. */
      maxRangeDays?: number;
    };

    /**
     * How often the approvers of a pending promotion request are reminded
     * that it waits for them: first this long after the request was made,
     * then again after every further interval until it is decided, withdrawn
     * or expires. A duration object such as `{ days: 1 }` or an ISO 8601
     * duration such as `P1D`; must be longer than zero. Defaults to 1 day.
     */
    reminderInterval?:
      | {
          years?: number;
          months?: number;
          weeks?: number;
          days?: number;
          hours?: number;
          minutes?: number;
          seconds?: number;
          milliseconds?: number;
        }
      | string;

    /** Who Promotion's notifications reach, besides the people of a flow. */
    notifications?: {
      /**
       * Who is told, besides the environment's approvers, of a deployment
       * reported through a closed gate (a violation), with the unmet
       * conditions: user or group entity refs such as
       * `group:default/compliance`. Defaults to nobody else.
       */
      violationRecipients?: string[];
    };

    /**
     * The named policies, keyed by the name entities give in their
     * `promotion.io/policy` annotation. Names use letters, digits, `-`, `_`
     * and `.`, starting with a letter or digit.
     */
    policies?: {
      [name: string]: {
        /**
         * A human-readable name for the policy.
         * @visibility frontend
         */
        title?: string;

        /**
         * The ladder: the environments in the order a version climbs them,
         * Dev first. At least one. The first environment has no gate
         * conditions but its own approval rule.
         */
        environments: Array<{
          /**
           * The environment id pipelines use when they record a deployment
           * or ask the gate (`production`). Letters, digits, `-`, `_` and
           * `.`, starting with a letter or digit; unique within the policy.
           * @visibility frontend
           */
          id: string;

          /**
           * The environment's name as people read it (`Production`).
           * Defaults to the id.
           * @visibility frontend
           */
          title?: string;

          /**
           * The validation checklist: items to complete on this environment
           * before a version can move to the next one.
           */
          checklist?: Array<{
            /**
             * The item id, unique within the environment's checklist.
             */
            id: string;
            /**
             * What must be true, as people read it (`Smoke tests passed`).
             */
            title: string;
            /**
             * `version` (the default): completed again for every version.
             * `flow`: completed once for the flow as a whole.
             */
            scope?: 'version' | 'flow';
            /**
             * Longer guidance shown with the item.
             */
            description?: string;
            /**
             * Whether completing the item needs an evidence link.
             * Defaults to false.
             */
            evidenceRequired?: boolean;
            /**
             * Flow-scoped items: whether a rollback of the flow undoes an
             * earlier completion, so the next version completes the item
             * again ("re-enter this workflow from the top once fixed").
             * Defaults to true.
             */
            resetOnRollback?: boolean;
            /**
             * Who completes the item: `person` (the default: people, in the
             * UI), `pipeline` (only a pipeline, through the API or
             * `promotion-gate attest`, with an evidence link and a short
             * result) or `both`.
             */
            attestedBy?: 'person' | 'pipeline' | 'both';
          }>;

          /**
           * The owner's or customer's sign-off of this environment's
           * results, with a written comment.
           */
          signOff?: {
            /**
             * Whether a version needs this environment's sign-off before it
             * can move to the next environment. Defaults to false.
             */
            required: boolean;
          };

          /**
           * The approval needed to enter this environment. Defaults to no
           * approval.
           */
          approval?: {
            /**
             * `none`: no approval. `once`: one approval per flow, which
             * stands until it is revoked (for example by a rollback).
             * `every`: every version needs its own approval.
             */
            mode: 'none' | 'once' | 'every';
            /**
             * Who may approve: catalog entity refs of users and groups,
             * such as `group:default/approvers` or `user:default/jane`
             * (`user:jane` means the default namespace). Needed for `once`
             * and `every`.
             */
            approvers?: string[];
            /**
             * How many distinct approvers must approve a request.
             * Defaults to 1.
             */
            minApprovers?: number;
            /**
             * Whether a requester may approve their own request.
             * Defaults to false.
             */
            allowSelfApproval?: boolean;
          };

          /**
           * Checks to complete after a version is deployed to this
           * environment.
           */
          postDeployment?: {
            /**
             * The post-deployment checklist.
             */
            checklist: Array<{
              /**
               * The item id, unique within the environment's
               * post-deployment checklist.
               */
              id: string;
              /**
               * What must be done, as people read it
               * (`Application logs monitored for errors`).
               */
              title: string;
              /**
               * Longer guidance shown with the item.
               */
              description?: string;
              /**
               * How long after the deployment the item may be completed at
               * the earliest: a duration object such as `{ minutes: 15 }`
               * or an ISO 8601 duration such as `PT15M`. Defaults to none.
               */
              minimumWait?:
                | {
                    years?: number;
                    months?: number;
                    weeks?: number;
                    days?: number;
                    hours?: number;
                    minutes?: number;
                    seconds?: number;
                    milliseconds?: number;
                  }
                | string;
              /**
               * Whether completing the item needs an evidence link.
               * Defaults to false.
               */
              evidenceRequired?: boolean;
              /**
               * Who completes the item: `person` (the default), `pipeline`
               * or `both`, as for validation checklist items.
               */
              attestedBy?: 'person' | 'pipeline' | 'both';
            }>;
            /**
             * Whether the next version may enter this environment only once
             * the post-deployment checklist of the version standing there is
             * complete. Rollbacks are never blocked by it. Defaults to true
             * when the checklist has items.
             */
            blocksNextVersion?: boolean;
            /**
             * The grace after an item's minimum wait before the verification
             * report counts it as failed; until then it is pending. A
             * duration object such as `{ hours: 4 }` or an ISO 8601 duration
             * such as `PT4H`. Defaults to 1 day.
             */
            dueWithin?:
              | {
                  years?: number;
                  months?: number;
                  weeks?: number;
                  days?: number;
                  hours?: number;
                  minutes?: number;
                  seconds?: number;
                  milliseconds?: number;
                }
              | string;
            /**
             * The id of the post-deployment item that records the release
             * notes' distribution, for the report's "release notes
             * delivered" check. Defaults to `release-notes-delivered` when
             * the checklist has an item with that id.
             */
            releaseNotesItem?: string;
          };

          /**
           * What a rollback out of this environment allows.
           */
          rollback?: {
            /**
             * Whether, besides the rollback target, every version that ran
             * successfully in this environment before the reverted one may be
             * redeployed with no approval. Defaults to false.
             */
            earlierVersionsDeployable?: boolean;
          };

          /**
           * Break-glass: an emergency deployment into this environment past
           * a closed gate (any unmet condition), declared with a reason and
           * an incident link. Absent: the environment allows none.
           */
          breakGlass?: {
            /**
             * Approvals a declaration needs from this environment's
             * approvers (`approval.approvers`), other than its declarer:
             * 1 (the default) or 0.
             */
            approvals?: 0 | 1;
            /**
             * Groups whose members declare with no approval needed (the
             * pre-declared on-call): group entity refs such as
             * `group:default/on-call`.
             */
            onCallGroups?: string[];
            /**
             * How long an approved declaration stays usable for one
             * deployment of its version: a duration object such as
             * `{ hours: 24 }` or an ISO 8601 duration such as `PT24H`.
             * Defaults to 24 hours.
             */
            validFor?:
              | {
                  years?: number;
                  months?: number;
                  weeks?: number;
                  days?: number;
                  hours?: number;
                  minutes?: number;
                  seconds?: number;
                  milliseconds?: number;
                }
              | string;
          };

          /**
           * The dependency gate: a flow may enter this environment only
           * when every flow it depends on (each `dependsOn` Component that
           * takes part in Promotion) has a version in this environment, or
           * in the environment named here. Other dependencies are not
           * checked; a dependency that depends on the flow in turn is not
           * required.
           */
          dependencies?: {
            /** Whether the dependencies are required. */
            required: boolean;
            /**
             * The environment, by id, each dependency must have a version
             * in; defaults to this environment. Must be on some policy's
             * ladder.
             */
            environment?: string;
          };
        }>;

        /**
         * Freeze windows of this policy's environments: while one is in
         * force, the gate into the environments it names is closed, except
         * for a rollback target. Each is one-off (`start` and `end`) or
         * recurring (`cron` and `duration`).
         */
        freezeWindows?: Array<{
          /** The environment ids the window freezes (`production`). */
          environments: string[];
          /** Why, shown in the gate's sentence ("quarter-end close"). */
          reason: string;
          /** The IANA time zone the window is written in and shown in (`Europe/Paris`). */
          timeZone: string;
          /** One-off window: its start, a local date-time in `timeZone` (`2026-12-24T18:00`). */
          start?: string;
          /** One-off window: its end (excluded), a local date-time in `timeZone`. */
          end?: string;
          /**
           * Recurring window: a cron expression for each start, in `timeZone`
           * (`0 0 * * 6`: Saturdays 00:00).
           */
          cron?: string;
          /**
           * Recurring window: how long each lasts, a duration object such as
           * `{ days: 2, hours: 6 }` or an ISO 8601 duration such as `P2DT6H`;
           * days are calendar days in `timeZone`.
           */
          duration?:
            | {
                years?: number;
                months?: number;
                weeks?: number;
                days?: number;
                hours?: number;
                minutes?: number;
                seconds?: number;
                milliseconds?: number;
              }
            | string;
        }>;
      };
    };

    /**
     * Freeze windows for the whole portal: each closes the gate into the
     * environments of that id on every policy's ladder while it is in
     * force, except for a rollback target. One-off (`start` and `end`) or
     * recurring (`cron` and `duration`).
     */
    freezeWindows?: Array<{
      /** The environment ids the window freezes (`production`). */
      environments: string[];
      /** Why, shown in the gate's sentence ("quarter-end close"). */
      reason: string;
      /** The IANA time zone the window is written in and shown in (`Europe/Paris`). */
      timeZone: string;
      /** One-off window: its start, a local date-time in `timeZone` (`2026-12-24T18:00`). */
      start?: string;
      /** One-off window: its end (excluded), a local date-time in `timeZone`. */
      end?: string;
      /**
       * Recurring window: a cron expression for each start, in `timeZone`
       * (`0 0 * * 6`: Saturdays 00:00).
       */
      cron?: string;
      /**
       * Recurring window: how long each lasts, a duration object such as
       * `{ days: 2, hours: 6 }` or an ISO 8601 duration such as `P2DT6H`;
       * days are calendar days in `timeZone`.
       */
      duration?:
        | {
            years?: number;
            months?: number;
            weeks?: number;
            days?: number;
            hours?: number;
            minutes?: number;
            seconds?: number;
            milliseconds?: number;
          }
        | string;
    }>;
  };
}
