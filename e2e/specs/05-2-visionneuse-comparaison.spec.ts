import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishComparisonPatient, READER, type ComparisonExam } from '../fixtures/comparison.js';
import { LoginPage } from '../pages/login.page.js';
import { ComparisonViewerPage } from '../pages/viewer-comparison.page.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { waitForDemoExams } from '../support/demo.js';
import { startPortal, type PortalServer } from '../support/server.js';

const PASSWORD = 'Demo-e-mage-2026';

/**
 * §5.2, comparing images (issue 19): layouts, a series picked or dragged into a viewport, the
 * patient's other exams, scrolling in sync by slice position and linked window/level — on a
 * desktop and on a phone.
 */
describe.each([
  { device: 'desktop', viewport: { width: 1280, height: 900 }, touch: false },
  { device: 'phone', viewport: { width: 390, height: 844 }, touch: true },
])('§5.2 Comparer des images — $device', ({ viewport, touch }) => {
  let portal: PortalServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let current: ComparisonExam;
  let prior: ComparisonExam;
  let hidden: ComparisonExam;
  let currentDocumentId: string;

  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
    await waitForDemoExams(portal);
    ({ current, prior, hidden } = await publishComparisonPatient(portal));
    ctx = await newContext(browser, { viewport, hasTouch: touch, isMobile: touch });
    page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(READER.email, PASSWORD);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    const res = await page.request.post(`${portal.url}/graphql`, { data: { query: 'query($id: ID!) { exam(id: $id) { documents { id } } }', variables: { id: current.examId } } });
    currentDocumentId = ((await res.json()) as { data: { exam: { documents: Array<{ id: string }> } } }).data.exam.documents[0]!.id;
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  async function openCurrent(): Promise<ComparisonViewerPage> {
    await page.goto(`${portal.url}/documents/${currentDocumentId}`);
    const viewer = new ComparisonViewerPage(page);
    await viewer.waitForState('ready');
    await viewer.waitForPaneSeries(0, current.series[0]!);
    return viewer;
  }

  it('« Disposition »: 1 × 2 and 2 × 2 show two and four viewports, the active one outlined; 1 × 1 goes back', async () => {
    const viewer = await openCurrent();
    expect(await viewer.panes().count()).toBe(1);
    expect(await viewer.root.locator('[data-action="layout"][data-layout="1x1"]').getAttribute('aria-pressed')).toBe('true');

    await viewer.chooseLayout('1 × 2');
    expect(await viewer.panes().count()).toBe(2);
    // The new viewport shows the study's next series.
    await viewer.waitForPaneSeries(1, current.series[1]!);
    expect(await viewer.paneAttr(0, 'active')).toBe('true');
    expect(await viewer.pane(0).evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');
    expect(await viewer.pane(1).evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('none');
    // Both viewports are side by side, each half of the grid.
    const [a, b] = [await viewer.pane(0).boundingBox(), await viewer.pane(1).boundingBox()];
    expect(b!.x).toBeGreaterThan(a!.x + a!.width - 4);

    await viewer.chooseLayout('2 × 2');
    expect(await viewer.panes().count()).toBe(4);
    for (const i of [2, 3]) await viewer.waitForPaneDrawn(i);

    await viewer.chooseLayout('1 × 1');
    expect(await viewer.panes().count()).toBe(1);
    expect(await viewer.attr('layout')).toBe('1x1');
  });

  it('a series picked for the selected viewport (keyboard: the viewport, then the thumbnail and Enter), or dragged onto one, shows there', async () => {
    const viewer = await openCurrent();
    await viewer.chooseLayout('1 × 2');
    await viewer.waitForPaneSeries(1, current.series[1]!);

    // Select the second viewport from the keyboard (Tab reaches it; focus makes it active), then pick.
    await viewer.pane(1).locator('[data-testid="viewport"]').focus();
    expect(await viewer.paneAttr(1, 'active')).toBe('true');
    await viewer.thumbnail(current.series[0]!).focus();
    await page.keyboard.press('Enter');
    await viewer.waitForPaneAttr(1, 'series-uid', current.series[0]!);
    expect(await viewer.paneAttr(0, 'series-uid')).toBe(current.series[0]);

    // Dragged from the strip onto the first viewport.
    await viewer.thumbnail(current.series[1]!).dragTo(viewer.pane(0));
    await viewer.waitForPaneAttr(0, 'series-uid', current.series[1]!);
    expect(await viewer.imageOverlay(0)).toMatch(/^Im \d\/8$/);
  });

  it('« Examens antérieurs » offers the patient’s other exam this physician may see, never the one named for another physician, and opens it beside the current image', async () => {
    const viewer = await openCurrent();
    await viewer.clickTool(viewer.comparisonButton('Examens antérieurs'));
    const panel = viewer.priorsPanel();
    await panel.locator('.emv-prior').first().waitFor();
    expect(await panel.locator('.emv-prior').count()).toBe(1);
    expect(await panel.innerText()).toContain(prior.title);
    expect(await panel.innerText()).not.toContain(hidden.title);
    expect(await page.locator(`[data-study-uid="${hidden.studyUid}"]`).count()).toBe(0);

    await panel.getByRole('button', { name: new RegExp(`^Comparer avec « ${prior.title} »`) }).click();
    await viewer.waitForPaneSeries(1, prior.series[0]!);
    expect(await viewer.attr('layout')).toBe('1x2');
    // The prior's series joined the strip under its title.
    await viewer.thumbnail(prior.series[0]!).waitFor();
    expect(await viewer.root.locator('.emv-series-heading').innerText()).toContain(prior.title);
  });

  it('« Synchroniser le défilement »: the other viewport follows the slice position (its « Im x/y »)', async () => {
    const viewer = await openCurrent();
    await viewer.clickTool(viewer.comparisonButton('Examens antérieurs'));
    await viewer.priorsPanel().getByRole('button', { name: /^Comparer avec/ }).click();
    await viewer.waitForPaneSeries(1, prior.series[0]!);
    // Current: 16 slices of 5 mm, image 8 at z = zc + 2.5; prior: 8 slices of 10 mm at zc + 35 − 10 j.
    expect(await viewer.imageOverlay(0)).toBe('Im 8/16');
    expect(await viewer.imageOverlay(1)).toBe('Im 4/8');

    await viewer.clickTool(viewer.comparisonButton('Synchroniser le défilement'));
    expect(await viewer.root.locator('[data-action="syncScroll"]').getAttribute('aria-pressed')).toBe('true');
    await viewer.pane(0).locator('[data-testid="viewport"]').focus();
    await page.keyboard.press('End'); // z = zc − 37.5: the prior's last slice (zc − 35)
    await viewer.waitForImageOverlay(0, 'Im 16/16');
    await viewer.waitForImageOverlay(1, 'Im 8/8');
    await page.keyboard.press('Home'); // z = zc + 37.5: its first (zc + 35)
    await viewer.waitForImageOverlay(1, 'Im 1/8');
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown'); // image 9, z = zc − 2.5: zc − 5 is nearest
    await viewer.waitForImageOverlay(0, 'Im 9/16');
    await viewer.waitForImageOverlay(1, 'Im 5/8');

    // Switched off, the other viewport stays where it is.
    await viewer.clickTool(viewer.comparisonButton('Synchroniser le défilement'));
    await viewer.pane(0).locator('[data-testid="viewport"]').focus();
    await page.keyboard.press('End');
    await viewer.waitForImageOverlay(0, 'Im 16/16');
    expect(await viewer.imageOverlay(1)).toBe('Im 5/8');
  });

  it('« Lier le fenêtrage »: a window/level set in one viewport applies to the other', async () => {
    const viewer = await openCurrent();
    await viewer.chooseLayout('1 × 2');
    await viewer.waitForPaneSeries(1, current.series[1]!);
    const before = await viewer.paneAttr(1, 'wl');

    // Not linked: the lung preset changes the active viewport only.
    await viewer.pane(0).locator('[data-testid="viewport"]').focus();
    await page.keyboard.press('2');
    await viewer.waitForPaneAttr(0, 'wl', '1500/-600');
    expect(await viewer.paneAttr(1, 'wl')).toBe(before);

    await viewer.clickTool(viewer.comparisonButton('Lier le fenêtrage'));
    await viewer.waitForPaneAttr(1, 'wl', '1500/-600');
    await viewer.pane(0).locator('[data-testid="viewport"]').focus();
    await page.keyboard.press('3'); // bone
    await viewer.waitForPaneAttr(0, 'wl', '2000/300');
    await viewer.waitForPaneAttr(1, 'wl', '2000/300');
  });
});
