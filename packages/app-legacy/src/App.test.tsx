import { render, waitFor } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('should render', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test' },
            backend: { baseUrl: 'http://localhost:7007' },
            demoSignIn: {
              users: [{ name: 'alice', title: 'Alice Ng' }],
            },
          },
          context: 'test',
        },
      ] as any,
    };

    const rendered = render(<App />);

    // Not signed in yet: the local sign-in page lists the example users.
    await waitFor(() => {
      expect(
        rendered.getByRole('button', { name: 'Sign in as Alice Ng' }),
      ).toBeInTheDocument();
    });
  });
});
