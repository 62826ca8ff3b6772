import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DashboardPage } from '../pages/dashboard.page.js';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext } from './browser.js';
import { startPortal, type PortalServer } from './server.js';

export const DEMO_PHYSICIAN = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

/** The demo exams are published over HTTP after start-up: wait for the portal to say so. */
export async function waitForDemoExams(portal: PortalServer, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/Demo exams published/.test(portal.output())) {
    if (/demo exams could not be published/i.test(portal.output())) throw new Error(`Demo seed failed:\n${portal.output()}`);
    if (Date.now() > deadline) throw new Error(`Demo exams not published in time:\n${portal.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The product with its demo data published, and a browser: what §3, §5 and §6 start from. */
export async function startDemoPortal(): Promise<{ portal: PortalServer; browser: Browser }> {
  const [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
  await waitForDemoExams(portal);
  return { portal, browser };
}

/** A new browser context where the demo physician has logged in and sees the dashboard. */
export async function openDashboardAsDemoPhysician(
  browser: Browser,
  portal: PortalServer,
  contextOptions: Parameters<Browser['newContext']>[0] = {},
): Promise<{ ctx: BrowserContext; page: Page; dashboard: DashboardPage }> {
  const ctx = await newContext(browser, contextOptions);
  const page = await ctx.newPage();
  const login = new LoginPage(page, portal.url);
  await login.open();
  await login.login(DEMO_PHYSICIAN.email, DEMO_PHYSICIAN.password);
  const dashboard = new DashboardPage(page, portal.url);
  await dashboard.heading().waitFor();
  return { ctx, page, dashboard };
}
