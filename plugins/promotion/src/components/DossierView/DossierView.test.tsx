import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { DossierView } from './DossierView';

describe('DossierView', () => {
  it('renders each section as markdown and marks missing ones', async () => {
    await renderInTestApp(
      <DossierView
        dossier={{
          whatChanged: 'New **retry** logic',
          why: '',
          testResults: '- [x] Smoke tests',
          releaseNotes: '[Notes](https://wiki.example.com/1.4.0)',
        }}
      />,
    );

    expect(
      screen.getByRole('heading', { name: 'What changed' }),
    ).toBeInTheDocument();
    expect(screen.getByText('retry').tagName).toBe('STRONG');
    expect(screen.getByText('Not written yet.')).toBeInTheDocument();
    expect(screen.getByRole('checkbox')).toBeChecked();
    expect(screen.getByRole('link', { name: /Notes/ })).toHaveAttribute(
      'href',
      'https://wiki.example.com/1.4.0',
    );
  });
});
