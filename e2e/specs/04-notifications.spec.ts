import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCtSeries, newUid } from '../../server/src/modules/demo/generator/index.js';
import { PHYSICIANS } from '../../server/src/modules/demo/generator/people.js';
import { luhnDigit } from '../fixtures/facility.js';
import { DashboardPage } from '../pages/dashboard.page.js';
import { LoginPage } from '../pages/login.page.js';
import { NotificationsPage } from '../pages/notifications.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type MailMessage, type PortalServer } from '../support/server.js';

const CLAIRE = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };
/** The demo seed gives Claire Martin's account the generator's RPPS for her. */
const CLAIRE_RPPS = PHYSICIANS.find((p) => p.key === 'martin')!.rpps;

/** The patient of the exam the facility publishes: none of it may reach the e-mail. */
const PATIENT = { lastName: 'Rousseau-Lefebvre', firstName: 'Anne-Sophie', birthDate: '1972-05-09', ipp: 'NOTIF-E2E-4711' };
const TITLE = 'SCANNER DES SINUS';
const STUDY_DATE = new Date('2025-11-03T10:20:00Z');

/** A small CT study as an imaging centre's modality writes it, in a folder for `ingest`. */
async function writeStudy(dir: string): Promise<void> {
  const context = {
    patient: { patientId: PATIENT.ipp, name: { familyName: PATIENT.lastName, givenName: PATIENT.firstName }, birthDate: PATIENT.birthDate, sex: 'F' as const },
    study: {
      studyInstanceUid: newUid(),
      date: STUDY_DATE,
      accessionNumber: `E2E${randomInt(1e6, 1e7)}`,
      studyId: '1',
      description: TITLE,
      institutionName: 'Centre de tests',
    },
  };
  let i = 0;
  for (const instance of generateCtSeries({ context, slices: 2, size: 64 })) await fs.writeFile(path.join(dir, `ct-${++i}.dcm`), instance.data);
}

/** Every piece of patient data, in the spellings a template could print it. */
function patientDataIn(mail: MailMessage): string[] {
  const haystack = [mail.subject, mail.text, mail.html].join('\n').toLowerCase();
  const needles = [
    PATIENT.lastName, 'Rousseau', 'Lefebvre', PATIENT.firstName, 'Anne', PATIENT.ipp, '4711',
    PATIENT.birthDate, '09/05/1972', '19720509', '1972', TITLE, 'sinus', '03/11/2025', '2025-11-03',
  ];
  return needles.filter((n) => haystack.includes(n.toLowerCase()));
}

describe('§4 Notifications', () => {
  let portal: PortalServer;
  let browser: Browser;
  let studyDir: string;
  /** The link of the e-mail the first test received. */
  let notificationLink: string | undefined;
  beforeAll(async () => {
    [portal, browser, studyDir] = await Promise.all([startPortal(), launchBrowser(), fs.mkdtemp(path.join(os.tmpdir(), 'emage-notif-'))]);
    await writeStudy(studyDir);
    // The demo exams are published over HTTP after start-up and notify Claire too: let them
    // land first, so the count the test starts from does not move under it.
    const deadline = Date.now() + 120_000;
    while (!/Demo exams published/.test(portal.output())) {
      if (/demo exams could not be published/i.test(portal.output()) || Date.now() > deadline) throw new Error(`Demo seed:\n${portal.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    if (studyDir) await fs.rm(studyDir, { recursive: true, force: true });
  });

  it('a new exam lights the badge live, e-mails no patient data, and a click opens the record and marks it read', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const bell = new NotificationsPage(page);
    const live = bell.liveSubscriptions(['DashboardExamAdded']);
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(CLAIRE.email, CLAIRE.password);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    const before = await bell.serverUnreadCount(portal.url);
    await bell.waitForUnread(before);
    await live;
    const dashboard = new DashboardPage(page, portal.url);
    await dashboard.rows().first().waitFor();
    expect(await dashboard.rows().count()).toBeGreaterThan(1);
    expect(await dashboard.row('Rousseau-Lefebvre').count()).toBe(0);
    const mailsBefore = new Set((await portal.mails()).map((m) => m.id));

    const finess = `5400${randomInt(1000, 9999)}`;
    const out = await portal.cli(['facility', 'create', '--name', 'Imagerie des notifications', '--finess', finess + luhnDigit(finess)]);
    const key = /API key[^:]*:\s*(\S+)/.exec(out)?.[1];
    expect(key, out).toBeTruthy();
    await portal.cli(['ingest', studyDir, '--facility-key', key!, '--prescriber', CLAIRE_RPPS, '--server', portal.url]);

    // Live, without reload.
    await bell.waitForUnread(before + 1);
    // The dashboard follows the bell (issue 19 finding 8): the patient of the new exam goes to the
    // top, marked, although its exam date is older than the other patients' last exams.
    await dashboard.rows().first().filter({ hasText: 'Rousseau-Lefebvre' }).getByTestId('badge-new').waitFor();
    await screenshot(page, '04-badge-after-publish');

    const mail = await portal.waitForMail((m) => !mailsBefore.has(m.id) && m.to.includes(CLAIRE.email));
    expect(patientDataIn(mail)).toEqual([]);
    expect(mail.subject).toBe('e-mage : un nouvel examen est disponible');
    const link = /https?:\/\/\S+\/notifications\/[0-9a-f-]{36}/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeTruthy();
    expect(mail.html).toContain(`href="${link}"`);
    notificationLink = link;

    await bell.open();
    const item = bell.itemFor(/Rousseau-Lefebvre/i);
    await expect(item.getAttribute('data-unread')).resolves.toBe('true');
    expect(await item.textContent()).toContain(TITLE);
    await screenshot(page, '04-notification-panel');
    await item.click();
    await page.getByTestId('record-title').filter({ hasText: /Rousseau-Lefebvre/i }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/patients\/[0-9a-f-]{36}$/);
    // The record shows the results with the notified exam's documents marked.
    const notified = new PatientRecordPage(page).resultRows().filter({ has: page.getByTestId('notified-badge') });
    await notified.first().waitFor();
    expect(await notified.first().textContent()).toContain(TITLE);
    await screenshot(page, '04-record-notified-exam');
    await bell.waitForUnread(before);
    expect(await bell.serverUnreadCount(portal.url)).toBe(before);
    await ctx.close();
    // Two CLI runs (a Node start each) and a STOW-RS on a shared 2-core machine.
  }, 150_000);

  it('the e-mail link leads, after login, to the patient record of that exam', async () => {
    expect(notificationLink).toBeTruthy();
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(notificationLink!);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await new LoginPage(page, portal.url).login(CLAIRE.email, CLAIRE.password);
    await page.getByTestId('record-title').filter({ hasText: /Rousseau-Lefebvre/i }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/patients\/[0-9a-f-]{36}$/);
    await ctx.close();
  });
});
