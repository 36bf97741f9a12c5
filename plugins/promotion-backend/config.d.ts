/*
 * The configuration only the Promotion backend reads itself: the audit
 * trail's signing keys and the verification report's links. The ladders
 * (`promotion.policies`), the request timings and the notification
 * recipients are read by `readPromotionConfig` and declared, with the
 * `promotion` key itself, in @promotion/plugin-promotion-common's
 * config.d.ts; Backstage merges both schemas.
 */
export interface Config {
  promotion?: {
    /** The audit trail. */
    audit?: {
      /**
       * The secrets that key the audit trail (HMAC-SHA256): every event's
       * link, every checkpoint and every state row's digest. Kept outside the
       * database, so a database writer without them cannot forge the trail.
       * The first key signs; the others still verify what they signed
       * (rotation). Required in production; in development a random key is
       * used for the process when none is set.
       */
      signingKeys?: Array<{
        /** Named in every signature, e.g. `2026-11`. */
        id: string;
        /**
         * At least 32 characters, e.g. from `openssl rand -base64 32`.
         * @visibility secret
         */
        secret: string;
      }>;
    };

    /**
     * How long, in seconds, a flow's catalog entity is reused before the
     * catalog is asked again: a gate check, a flow state or a trail within
     * that time costs no call to the catalog. A removed flow or a changed
     * `promotion.io/policy` annotation takes effect within it. 60 by
     * default (the catalog itself takes 100 to 150 seconds to process a
     * change); 0 asks the catalog every time. Every half this time, each
     * backend instance reads every flow's entity (those with the
     * annotation), 500 per catalog call, to keep them fresh.
     */
    catalogCacheSeconds?: number;

    /** The verification report. */
    report?: {
      /**
       * Where a violation's evidence opens: the flow's page in the portal,
       * to which the report adds `?deployment=<id>` so the page opens the
       * trail of that deployment. A path relative to `app.baseUrl`, or an
       * absolute URL, with the placeholders `{namespace}`, `{kind}` and
       * `{name}` of the flow's entity. Defaults to
       * `/catalog/{namespace}/{kind}/{name}/promotion`, the Promotion tab of
       * the entity page.
       */
      flowPageUrl?: string;
    };
  };
}
