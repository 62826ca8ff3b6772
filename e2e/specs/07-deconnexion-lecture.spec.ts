import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginPage } from '../pages/login.page.js';
import { ViewerPage } from '../pages/viewer.page.js';
import { waitForDemoExams } from '../support/demo.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

/** Correspondent of the demo neck ultrasound cine (48 frames). */
const SCHMITT = { email: 'thomas.schmitt@demo.e-mage.fr', password: 'Demo-e-mage-2026' };
/**
 * A 20-minute read with input every 30 s under the default 15-minute timeout, on a clock 30 times
 * faster: a 30 s timeout, input every second, 40 s of reading. The ratio of the input interval to
 * the timeout (1/30) is the real one; the viewer's own 5 s throttle of what it reports and the
 * shell's request at most every quarter of the timeout are not scaled, which only makes staying
 * signed in harder than at full scale.
 */
const SCALE = 30;
const IDLE_SECONDS = (15 * 60) / SCALE;
const INPUT_EVERY_SECONDS = 30 / SCALE;
const READ_SECONDS = (20 * 60) / SCALE;

function meOnServer(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    return ((await res.json()) as { data: { me: unknown } }).data.me;
  });
}

/**
 * Issue 19, finding 3: once a clip is cached, reading it sends no request. Reading (windowing,
 * zooming, keys) must keep the session alive past the idle timeout; an unattended page must
 * still log out. The clock is the clip itself: the cine plays at 1 image per second and the test
 * waits for the images the physician sees go by (none of the inputs changes the image shown).
 */
describe('§7 Déconnexion — lire des images n’est pas de l’inactivité', () => {
  let portal: PortalServer;
  let browser: Browser;

  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal({ SESSION_IDLE_MINUTES: String(IDLE_SECONDS / 60) }), launchBrowser()]);
    await waitForDemoExams(portal);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('a simulated 20-minute read with input every 30 s stays signed in; the same page left alone logs out', async () => {
    const ctx = await newContext(browser, { viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(SCHMITT.email, SCHMITT.password);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    const data = (await (
      await page.request.post(`${portal.url}/graphql`, {
        data: { query: '{ patients(first: 100) { edges { node { exams { title documents { id type } } } } } }' },
      })
    ).json()) as { data: { patients: { edges: Array<{ node: { exams: Array<{ title: string; documents: Array<{ id: string; type: string }> }> } }> } } };
    const exam = data.data.patients.edges.flatMap((e) => e.node.exams).find((x) => x.title === 'ECHOGRAPHIE CERVICALE');
    const docId = exam!.documents.find((d) => d.type === 'IMAGING')!.id;
    await page.goto(`${portal.url}/documents/${docId}`);
    const viewer = new ViewerPage(page);
    await viewer.waitForState('ready');
    await viewer.waitForWholeStudy();

    // The clip at one image per second, as a clock the physician sees.
    const fps = page.getByRole('spinbutton', { name: 'Images par seconde' });
    await fps.fill('1');
    await fps.dispatchEvent('change');
    await viewer.press(' ');
    await page.locator('[data-testid="viewer"][data-cine="playing"]').waitFor();
    const frames = Number(await viewer.attr('image-count'));
    /** Waits until the cine has shown `n` more images. */
    const imagesGoBy = async (n: number) => {
      const from = Number(await viewer.attr('image-index'));
      await page.waitForFunction(
        ([start, count, total]) => {
          const index = Number(document.querySelector<HTMLElement>('[data-testid="viewer"]')?.dataset.imageIndex);
          return (index - start + total) % total >= count;
        },
        [from, n, frames] as const,
        { timeout: (n + 10) * 1000 },
      );
    };

    // Reading: an input every image (1 s, that is 30 s at full scale) for 40 images (20 minutes);
    // the cine's timer never shows images faster than 1 per second, so the read lasts its 40 s.
    const start = Date.now();
    const interactions = [() => viewer.drag(20, 10), () => viewer.press('i'), () => viewer.press('+'), () => viewer.press('-')];
    for (let second = 0; second < READ_SECONDS; second += INPUT_EVERY_SECONDS) {
      await imagesGoBy(INPUT_EVERY_SECONDS);
      await interactions[second % interactions.length]!();
      expect(await page.getByTestId('idle-warning').isVisible(), `idle warning after ${Date.now() - start} ms of reading`).toBe(false);
      expect(new URL(page.url()).pathname).toBe(`/documents/${docId}`);
    }
    expect(await meOnServer(page)).not.toBeNull();

    // Left alone (the clip stopped, nothing touched): the warning, then the login page.
    await viewer.press(' ');
    await page.locator('[data-testid="viewer"][data-cine="stopped"]').waitFor();
    await page.getByTestId('idle-warning').waitFor({ timeout: IDLE_SECONDS * 1000 });
    await page.waitForURL(/\/connexion\?raison=inactivite/, { timeout: IDLE_SECONDS * 1000 });
    expect(await meOnServer(page)).toBeNull();
    await ctx.close();
  }, 180_000);
});
