import { Browser, expect, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/*
 * Shared by the specs: the example portal's configuration, its REST API as
 * the pipeline (static token) and as the example users (demo sign-in), and
 * signing in through the portal's sign-in page.
 */

export const REPO = path.resolve(__dirname, '..');
export const appConfig = parseYaml(
  fs.readFileSync(path.join(REPO, 'app-config.yaml'), 'utf8'),
);
export const BACKEND: string = appConfig.backend.baseUrl;
export const pipelineAccess = (
  appConfig.backend.auth.externalAccess as any[]
).find(access => access.type === 'static');
/** The pipeline's static token, limited to the promotion plugin. */
export const TOKEN: string = pipelineAccess.options.token;
/** How the pipeline appears as an actor in the audit trail. */
export const PIPELINE = `service:${pipelineAccess.options.subject}`;

/** The REST API of a flow, e.g. `flowUrl('component:default/file-router')`. */
export function flowUrl(entityRef: string): string {
  const [, kind, namespace, name] = /^([^:]+):([^/]+)\/(.+)$/.exec(entityRef)!;
  return `${BACKEND}/api/promotion/flows/${namespace}/${kind}/${name}`;
}

const userTokens = new Map<string, string>();

/** A user token from the example portal's demo sign-in. */
export async function userToken(user: string): Promise<string> {
  if (!userTokens.has(user)) {
    const res = await fetch(`${BACKEND}/api/auth/demo/refresh`, {
      headers: { 'x-promotion-demo-user': user },
    });
    expect(res.status, `demo sign-in as ${user}`).toBe(200);
    userTokens.set(user, (await res.json()).backstageIdentity.token);
  }
  return userTokens.get(user)!;
}

/**
 * Calls the API as the pipeline (default) or as a user (`as`) and expects
 * the status (default 201 for POST, else 200); returns the parsed body.
 */
export async function api(
  method: string,
  url: string,
  options: { as?: string; body?: unknown; status?: number } = {},
): Promise<any> {
  const token = options.as ? await userToken(options.as) : TOKEN;
  const res = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(options.body !== undefined && {
        'Content-Type': 'application/json',
      }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  const expected = options.status ?? (method === 'POST' ? 201 : 200);
  expect(res.status, `${method} ${url}: ${text}`).toBe(expected);
  return text ? JSON.parse(text) : undefined;
}

/**
 * A new browser context (its own cookies and storage: another person at
 * another desk) signed in through the portal's sign-in page.
 */
export async function signIn(
  browser: Browser,
  displayName: string,
): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${displayName}` }).click();
  // The sidebar appears once the portal knows who is signed in.
  await expect(page.getByRole('link', { name: 'Approvals' })).toBeVisible();
  return page;
}
