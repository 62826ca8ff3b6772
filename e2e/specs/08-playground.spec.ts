import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginPage } from '../pages/login.page.js';
import { PlaygroundPage } from '../pages/playground.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { repoRoot, startPortal, type PortalServer } from '../support/server.js';

const ANALYST = { email: 'analyste@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

/**
 * A hospital network is closed: every request to another origin is aborted, and the test
 * fails if the page even tried one (no CDN, no web font, no telemetry).
 */
async function closedNetwork(ctx: BrowserContext, portalUrl: string): Promise<string[]> {
  const origin = new URL(portalUrl).origin;
  const foreign: string[] = [];
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  return foreign;
}

/** The portal publishes the demo exams in the background after start-up; the figures need them. */
async function demoExamsPublished(portal: PortalServer, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!portal.output().includes('Demo exams published')) {
    if (Date.now() > deadline) throw new Error(`Demo exams were not published:\n${portal.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Analysts: the GraphQL playground', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
    await demoExamsPublished(portal);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the built playground loads nothing from another origin (no script, style, font or module URL)', () => {
    const dist = path.join(repoRoot, 'client', 'playground', 'dist');
    const files = ['index.html', ...readdirSync(path.join(dist, 'assets')).map((f) => path.join('assets', f))].filter((f) => /\.(html|js|css)$/.test(f));
    const loads = /(?:src|href)\s*=\s*["']https?:\/\/|url\(\s*["']?https?:\/\/|import\(\s*["']https?:\/\/|@import\s+["']https?:\/\//;
    const offending = files.filter((f) => loads.test(readFileSync(path.join(dist, f), 'utf8')));
    expect(files.length).toBeGreaterThan(2);
    expect(offending).toEqual([]);
  });

  it('without a session, the playground says so and links to the login page', async () => {
    const ctx = await newContext(browser);
    const foreign = await closedNetwork(ctx, portal.url);
    const page = await ctx.newPage();
    const playground = new PlaygroundPage(page, portal.url);
    await playground.open();
    await page.getByRole('heading', { name: 'Connexion requise' }).waitFor();
    expect(await playground.loginLink().getAttribute('href')).toBe('/connexion?suite=/graphql');
    expect(await page.getByRole('link', { name: 'Retour au portail' }).getAttribute('href')).toBe('/');
    // The link logs in and comes back to the playground page itself.
    await playground.loginLink().click();
    await new LoginPage(page, portal.url).login(ANALYST.email, ANALYST.password);
    await playground.userName().waitFor();
    expect(new URL(page.url()).pathname).toBe('/graphql');
    expect(foreign).toEqual([]);
    await ctx.close();
  });

  it('an analyst logs in, opens /graphql with the network closed, runs an example and sees figures', async () => {
    const ctx = await newContext(browser);
    const foreign = await closedNetwork(ctx, portal.url);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(ANALYST.email, ANALYST.password);
    // Analysts land on their area of the portal, whose link loads the playground page.
    await page.getByRole('heading', { name: 'Espace analyste' }).waitFor();
    await page.getByRole('link', { name: 'Ouvrir le playground GraphQL' }).click();
    const tab = page;
    const playground = new PlaygroundPage(tab, portal.url);
    await playground.userName().waitFor();
    expect(await playground.userName().textContent()).toMatch(/\S/);
    // GraphiQL's own panels are there, self-hosted: documentation explorer and history.
    await tab.getByRole('button', { name: /Show Documentation Explorer/ }).waitFor();
    await tab.getByRole('button', { name: /Show History/ }).waitFor();
    await tab.getByRole('heading', { name: 'Exemples de requêtes' }).waitFor();
    // The documentation explorer fills once GraphiQL has fetched the schema.
    await tab.getByRole('button', { name: /Show Documentation Explorer/ }).click();
    await tab.getByText('Root Types').waitFor();
    await tab.getByRole('button', { name: /Show Exemples/ }).click();

    await playground.pickExample('Examens publiés par mois');
    await playground.run();
    const text = await playground.responseContaining('examsPublished');
    // The demo centres published their exams at start-up: this month's count is a figure.
    expect(text).toMatch(/"value":\s*\d+/);
    expect(text).not.toMatch(/"errors"/);
    await screenshot(tab, '08-playground-example');

    await tab.getByRole('button', { name: /Show Documentation Explorer/ }).click();
    await tab.getByText('Root Types').waitFor();
    expect(foreign).toEqual([]);
    await ctx.close();
  });
});
