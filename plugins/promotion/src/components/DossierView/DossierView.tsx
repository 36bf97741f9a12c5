import { MarkdownContent } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { Dossier } from '@promotion/plugin-promotion-common';

/** The dossier's sections, in the order a reviewer reads them. */
export const DOSSIER_SECTIONS: Array<{ key: keyof Dossier; title: string }> = [
  { key: 'whatChanged', title: 'What changed' },
  { key: 'why', title: 'Why' },
  { key: 'testResults', title: 'Test results' },
  { key: 'releaseNotes', title: 'Release notes' },
];

/**
 * A promotion request's dossier, its markdown rendered safely (no raw HTML).
 *
 * @internal
 */
export function DossierView(props: { dossier: Dossier }) {
  return (
    <Box>
      {DOSSIER_SECTIONS.map(({ key, title }) => (
        <Box key={key} mb={2}>
          <Typography variant="subtitle2" component="h4">
            {title}
          </Typography>
          {props.dossier[key]?.trim() ? (
            <MarkdownContent content={props.dossier[key]} />
          ) : (
            <Typography variant="body2" color="textSecondary">
              Not written yet.
            </Typography>
          )}
        </Box>
      ))}
    </Box>
  );
}
