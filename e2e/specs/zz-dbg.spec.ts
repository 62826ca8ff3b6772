import { it } from 'vitest';
import { launchBrowser, newContext } from '../support/browser.js';
import { startPortal } from '../support/server.js';
import { corpusStudy, newUid } from '../fixtures/corpus-study.js';
import { TestFacility } from '../fixtures/facility.js';
import { LoginPage } from '../pages/login.page.js';
it('dbg', async () => {
  const [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
  try {
  const f = await TestFacility.create(portal);
  const study = newUid();
  const files = corpusStudy(study).filter((s) => /jpeg_ls|jpeg_baseline_8bit|jpeg_2000/.test(s.source));
  await f.stow(files.map((s) => s.bytes));
  const ctx = await newContext(browser); const page = await ctx.newPage();
  page.on('console', (m) => console.log('CONSOLE', m.type(), m.text().slice(0, 400)));
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
  page.on('response', (r) => { if (r.status() >= 400) console.log('RESP', r.status(), r.url()); });
  const login = new LoginPage(page, portal.url); await login.open(); await login.login('thomas.schmitt@demo.e-mage.fr', 'Demo-e-mage-2026');
  await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
  const me = await (await page.request.post(`${portal.url}/graphql`, { data: { query: '{ me { rpps } }' } })).json();
  const examId = await f.publishImagingExam({ studyInstanceUid: study, title: 'DBG', prescriberRpps: me.data.me.rpps, patient: { ipp: 'x1', lastName: 'A', firstName: 'B' } });
  const ex = await (await page.request.post(`${portal.url}/graphql`, { data: { query: `{ exam(id: "${examId}") { documents { id } } }` } })).json();
  const docId = ex.data.exam.documents[0].id;
  await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => console.log('CSPV', e.violatedDirective, e.blockedURI)));
  await page.goto(`${portal.url}/documents/${docId}`);
  await page.evaluate(() => document.addEventListener('securitypolicyviolation', (e) => console.log('CSPV', e.violatedDirective, e.blockedURI)));
  await page.locator('[data-testid="viewer"][data-state="ready"]').waitFor();
  for (const s of files) {
    await page.locator(`button.emv-thumb[data-series-uid="${s.seriesUid}"]`).click();
    await page.waitForFunction((uid) => { const el = document.querySelector<HTMLElement>('[data-testid="viewer"]'); return el?.dataset.seriesUid === uid && (el.dataset.frameError !== undefined || Number(el.dataset.renderedCount) > 0); }, s.seriesUid);
    await page.waitForTimeout(1500);
    console.log(s.source, await page.locator('[data-testid="viewer"]').evaluate((el) => JSON.stringify((el as HTMLElement).dataset)));
  }
  } finally { await browser.close(); await portal.stop(); }
}, 300000);
