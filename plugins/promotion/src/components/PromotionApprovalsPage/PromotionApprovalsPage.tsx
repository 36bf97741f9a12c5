import { Content, Header, Page } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { promotionAuditReadPermission } from '@promotion/plugin-promotion-common';
import { useMemo, useState } from 'react';
import { ApprovalsInbox } from '../ApprovalsInbox';
import { AuditTrailCard } from '../AuditTrailCard';
import { BreakGlassInbox } from '../BreakGlassInbox';
import { InsightsCard } from '../InsightsCard';
import { VerificationReportCard } from '../VerificationReportCard';

function isoDate(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}

/** A day (`YYYY-MM-DD`, local time) as the ISO timestamp of its start or end. */
function dayBoundary(day: string, end: boolean): string | undefined {
  const date = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00.000'}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function AuditSections() {
  const [from, setFrom] = useState(() =>
    isoDate(new Date(Date.now() - 30 * 24 * 3600 * 1000)),
  );
  const [to, setTo] = useState(() => isoDate(new Date()));
  const range = useMemo(
    () => ({ from: dayBoundary(from, false), to: dayBoundary(to, true) }),
    [from, to],
  );
  const rangeLabel = `${from}_${to}`;
  const inverted = !!range.from && !!range.to && range.from > range.to;

  return (
    <>
      <Grid item xs={12}>
        <Typography variant="h5" component="h2" gutterBottom>
          Insights, verification and audit
        </Typography>
        <TextField
          id="promotion-range-from"
          label="From"
          type="date"
          value={from}
          onChange={e => setFrom(e.target.value)}
          InputLabelProps={{ shrink: true }}
          variant="outlined"
          size="small"
          style={{ marginRight: 16 }}
        />
        <TextField
          id="promotion-range-to"
          label="To"
          type="date"
          value={to}
          onChange={e => setTo(e.target.value)}
          InputLabelProps={{ shrink: true }}
          variant="outlined"
          size="small"
        />
        {inverted && (
          <Alert severity="warning">
            The range starts after it ends: pick a From date before the To date.
          </Alert>
        )}
      </Grid>
      <Grid item xs={12}>
        <InsightsCard query={range} rangeLabel={rangeLabel} />
      </Grid>
      {/* Full width: the violations table needs the room. */}
      <Grid item xs={12}>
        <VerificationReportCard range={range} rangeLabel={rangeLabel} />
      </Grid>
      <Grid item xs={12}>
        <AuditTrailCard range={range} rangeLabel={rangeLabel} />
      </Grid>
    </>
  );
}

/**
 * The Approvals page: every request waiting for the signed-in approver, the
 * verification report and the audit trail.
 *
 * @public
 */
export function PromotionApprovalsPage() {
  const audit = usePermission({ permission: promotionAuditReadPermission });

  return (
    <Page themeId="tool">
      <Header
        title="Approvals"
        subtitle="Promotion requests waiting for you, the governance insights, the verification report and the audit trail"
      />
      <Content>
        <Grid container spacing={3}>
          <Grid item xs={12}>
            <ApprovalsInbox />
          </Grid>
          <Grid item xs={12}>
            <BreakGlassInbox />
          </Grid>
          {audit.allowed && <AuditSections />}
          {!audit.loading && !audit.allowed && (
            <Grid item xs={12}>
              <Typography color="textSecondary">
                The verification report and the audit trail are for auditors:
                you do not have the promotion.audit.read permission.
              </Typography>
            </Grid>
          )}
        </Grid>
      </Content>
    </Page>
  );
}
