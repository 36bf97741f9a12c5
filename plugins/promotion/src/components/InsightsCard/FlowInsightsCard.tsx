import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useMemo, useState } from 'react';
import { InsightsCard } from './InsightsCard';

const RANGES = [30, 90, 365] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The insights of one flow on its Promotion tab, over the last 30, 90 or
 * 365 days.
 *
 * @internal
 */
export function FlowInsightsCard(props: { entityRef: string }) {
  const { entityRef } = props;
  const [days, setDays] = useState<number>(RANGES[0]);
  const query = useMemo(
    () => ({
      flow: entityRef,
      from: new Date(Date.now() - days * DAY_MS).toISOString(),
    }),
    [entityRef, days],
  );
  return (
    <InsightsCard
      title="Insights of this flow"
      query={query}
      rangeLabel={`last-${days}-days`}
      action={
        <TextField
          id="promotion-flow-insights-range"
          select
          label="Range"
          value={days}
          onChange={e => setDays(Number(e.target.value))}
          variant="outlined"
          size="small"
          style={{ marginBottom: 16, minWidth: 160 }}
        >
          {RANGES.map(n => (
            <MenuItem key={n} value={n}>
              Last {n} days
            </MenuItem>
          ))}
        </TextField>
      }
    />
  );
}
