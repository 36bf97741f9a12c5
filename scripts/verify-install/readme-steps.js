#!/usr/bin/env node
/* eslint-disable no-console */
// The README's install steps as scripts/verify-install.sh runs them, in one
// place, so that the test and the README cannot drift apart:
//
//   node readme-steps.js check <README.md> <version>   fails when the README
//       does not show, word for word, a command, a line or a snippet that
//       verify-install.sh uses (whitespace aside);
//   node readme-steps.js legacy <app/packages/app/src>  makes the README's
//       legacy-frontend edits in a `create-app --legacy` app.
const fs = require('fs');
const path = require('path');

const backendLine =
  "backend.add(import('@promotion/plugin-promotion-backend'));";

const legacy = {
  entityPageImport: `import {
  EntityPromotionCard,
  EntityPromotionContent,
  isPromotionAvailable,
} from '@promotion/plugin-promotion';`,
  card: `<EntitySwitch>
  <EntitySwitch.Case if={isPromotionAvailable}>
    <Grid item md={6} xs={12}>
      <EntityPromotionCard />
    </Grid>
  </EntitySwitch.Case>
</EntitySwitch>`,
  tab: `<EntityLayout.Route path="/promotion" title="Promotion" if={isPromotionAvailable}>
  <EntityPromotionContent />
</EntityLayout.Route>`,
  appImport:
    "import { PromotionApprovalsPage } from '@promotion/plugin-promotion';",
  route: '<Route path="/promotion" element={<PromotionApprovalsPage />} />',
  rootImport:
    "import { PromotionApprovalsSidebarItem } from '@promotion/plugin-promotion';",
  sidebarItem: '<PromotionApprovalsSidebarItem />',
};

function snippets(version) {
  const config = fs
    .readFileSync(path.join(__dirname, 'app-config.promotion.yaml'), 'utf8')
    .split('\n')
    .filter(line => !line.startsWith('#'))
    .join('\n');
  return [
    'bash scripts/pack.sh /path/to/your-app/promotion-packages',
    ...[
      'plugin-promotion',
      'plugin-promotion-backend',
      'plugin-promotion-common',
    ].map(
      name =>
        `"@promotion/${name}": "file:./promotion-packages/${name}-${version}.tgz"`,
    ),
    'yarn --cwd packages/backend add @promotion/plugin-promotion-backend@^0.1.0',
    backendLine,
    'yarn --cwd packages/app add @promotion/plugin-promotion@^0.1.0',
    config,
    'promotion.io/policy: standard',
    ...Object.values(legacy),
  ];
}

const squash = text => text.replace(/\s+/g, ' ').trim();

function check(readmeFile, version) {
  const readme = squash(fs.readFileSync(readmeFile, 'utf8'));
  const missing = snippets(version).filter(s => !readme.includes(squash(s)));
  for (const s of missing) {
    console.error(`The README does not show this install step:\n${s}\n`);
  }
  if (missing.length) process.exit(1);
  console.log(
    `The README shows all ${snippets(version).length} install steps.`,
  );
}

function edit(file, edits) {
  let text = fs.readFileSync(file, 'utf8');
  for (const [anchor, replacement] of edits) {
    if (!text.includes(anchor)) {
      throw new Error(`${file}: the template changed, "${anchor}" not found`);
    }
    text = text.replace(anchor, replacement);
  }
  fs.writeFileSync(file, text);
}

function indent(text, spaces) {
  return text
    .split('\n')
    .map(line => ' '.repeat(spaces) + line)
    .join('\n');
}

function legacyEdits(src) {
  edit(path.join(src, 'components/catalog/EntityPage.tsx'), [
    // the imports, first
    [
      "import { Button, Grid } from '@material-ui/core';",
      `import { Button, Grid } from '@material-ui/core';\n${legacy.entityPageImport}`,
    ],
    // the card, at the end of the overview grid
    [
      '      <EntityHasSubcomponentsCard />\n    </Grid>\n  </Grid>\n);',
      `      <EntityHasSubcomponentsCard />\n    </Grid>\n${indent(
        legacy.card,
        4,
      )}\n  </Grid>\n);`,
    ],
    // the tab, in the service page after its Overview
    [
      'const serviceEntityPage = (\n  <EntityLayout>\n    <EntityLayout.Route path="/" title="Overview">\n      {overviewContent}\n    </EntityLayout.Route>\n',
      `const serviceEntityPage = (\n  <EntityLayout>\n    <EntityLayout.Route path="/" title="Overview">\n      {overviewContent}\n    </EntityLayout.Route>\n\n${indent(
        legacy.tab,
        4,
      )}\n`,
    ],
  ]);
  edit(path.join(src, 'App.tsx'), [
    [
      "import { Root } from './components/Root';",
      `import { Root } from './components/Root';\n${legacy.appImport}`,
    ],
    ['  </FlatRoutes>', `    ${legacy.route}\n  </FlatRoutes>`],
  ]);
  edit(path.join(src, 'components/Root/Root.tsx'), [
    [
      "import LogoIcon from './LogoIcon';",
      `import LogoIcon from './LogoIcon';\n${legacy.rootImport}`,
    ],
    [
      '<SidebarItem icon={CreateComponentIcon} to="create" text="Create..." />',
      `<SidebarItem icon={CreateComponentIcon} to="create" text="Create..." />\n        ${legacy.sidebarItem}`,
    ],
  ]);
  console.log('The README legacy-frontend edits are made.');
}

const [command, ...args] = process.argv.slice(2);
if (command === 'check') check(args[0], args[1]);
else if (command === 'legacy') legacyEdits(args[0]);
else {
  console.error(
    'usage: readme-steps.js check <README.md> <version> | legacy <src>',
  );
  process.exit(2);
}
