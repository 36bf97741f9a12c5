import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Card from '@material-ui/core/Card';
import CardActions from '@material-ui/core/CardActions';
import CardContent from '@material-ui/core/CardContent';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  Content,
  Header,
  Page,
  ProxiedSignInPage,
  SignInPage,
} from '@backstage/core-components';
import {
  configApiRef,
  IdentityApi,
  useApi,
} from '@backstage/frontend-plugin-api';
import { SignInPageProps } from '@backstage/plugin-app-react';

/** The header the backend's demo sign-in provider reads (packages/backend/src/modules/demoSignIn.ts). */
const DEMO_USER_HEADER = 'x-promotion-demo-user';
const STORAGE_KEY = 'promotion-demo-user';

/** Signing out forgets the chosen user, so the list shows again. */
function forgetOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      window.sessionStorage.removeItem(STORAGE_KEY);
      await identity.signOut();
    },
  };
}

/**
 * Local sign-in page of the example portal: lists the example users from
 * `demoSignIn.users` so one browser can play the developer and the Director.
 * Without demo users configured (production) it falls back to the standard
 * sign-in page.
 */
export const DemoSignInPage = (props: SignInPageProps) => {
  const config = useApi(configApiRef);
  const users = (config.getOptionalConfigArray('demoSignIn.users') ?? []).map(
    user => ({
      name: user.getString('name'),
      title: user.getString('title'),
      description: user.getOptionalString('description'),
    }),
  );
  const [selected, setSelected] = useState<string | undefined>(
    () => window.sessionStorage.getItem(STORAGE_KEY) ?? undefined,
  );

  if (users.length === 0) {
    return <SignInPage {...props} providers={[]} />;
  }

  if (selected) {
    return (
      <ProxiedSignInPage
        provider="demo"
        headers={{ [DEMO_USER_HEADER]: selected }}
        onSignInSuccess={identity =>
          props.onSignInSuccess(forgetOnSignOut(identity))
        }
      />
    );
  }

  return (
    <Page themeId="home">
      <Header
        title="Sign in to the Promotion portal"
        subtitle="Local example portal: pick a user to play"
      />
      <Content>
        <Grid container spacing={3}>
          {users.map(user => (
            <Grid item xs={12} sm={6} md={4} key={user.name}>
              <Card>
                <CardContent>
                  <Typography variant="h6">{user.title}</Typography>
                  <Typography variant="body2" color="textSecondary">
                    {user.description}
                  </Typography>
                </CardContent>
                <CardActions>
                  <Button
                    color="primary"
                    variant="contained"
                    aria-label={`Sign in as ${user.title}`}
                    onClick={() => {
                      window.sessionStorage.setItem(STORAGE_KEY, user.name);
                      setSelected(user.name);
                    }}
                  >
                    Sign in as {user.title}
                  </Button>
                </CardActions>
              </Card>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
};
