import { render, screen } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('starts on the demo sign-in page with the configured example users', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test' },
            backend: { baseUrl: 'http://localhost:7007' },
            demoSignIn: {
              users: [
                { name: 'alice', title: 'Alice Ng' },
                { name: 'dana', title: 'Dana Whitfield' },
              ],
            },
          },
          context: 'test',
        },
      ] as any,
    };

    render(App.createRoot());

    // Not signed in yet: the app's sign-in page (the signIn module) lists
    // the example users instead of the default guest sign-in.
    // The app loads its features and the sign-in page lazily: on a busy
    // machine that takes longer than findBy's default second.
    expect(
      await screen.findByRole(
        'button',
        { name: 'Sign in as Alice Ng' },
        { timeout: 60_000 },
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Sign in as Dana Whitfield' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /guest/i }),
    ).not.toBeInTheDocument();
  }, 90_000);
});
