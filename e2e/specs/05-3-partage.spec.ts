import jsqr from 'jsqr';
import type { Browser, BrowserContext } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardPage } from '../pages/dashboard.page.js';
import { DocumentPage } from '../pages/document.page.js';
import { LoginPage } from '../pages/login.page.js';
import { NotificationsPage } from '../pages/notifications.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { ShareDialog } from '../pages/share-dialog.page.js';
import { SharePage } from '../pages/share.page.js';
import { SharesPage } from '../pages/shares.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { DEMO_PHYSICIAN, waitForDemoExams } from '../support/demo.js';
import { startPortal, type MailMessage, type PortalServer } from '../support/server.js';

// jsqr is CommonJS whose ES default export arrives, under NodeNext, as `module.exports.default`.
const jsQR = jsqr.default;

/** Shares live 90 seconds here, so the walk can watch one expire. */
const TTL_SECONDS = 90;

function linkOf(mail: MailMessage): string {
  const m = /(https?:\/\/\S+\/s\/[A-Za-z0-9_-]+)/.exec(mail.text);
  if (!m?.[1]) throw new Error(`no share link in:\n${mail.text}`);
  return m[1];
}

function qrOf(mail: MailMessage): string | null {
  const png = mail.attachments.find((a) => a.contentType === 'image/png');
  if (!png) return null;
  const image = PNG.sync.read(Buffer.from(png.contentBase64, 'base64'));
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data ?? null;
}

const shareMailTo = (to: string) => (m: MailMessage) => m.to.includes(to) && /sélectionnés à votre attention/.test(m.subject);

describe('§5.3 Partage d’examens', () => {
  let portal: PortalServer;
  let browser: Browser;
  let physician: BrowserContext;
  let recipient: BrowserContext;
  let firstLink: string;
  let firstSharedAt: number;

  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal({ SHARE_TTL_HOURS: String(TTL_SECONDS / 3600), MAIL_MAX_ATTEMPTS: '2', MAIL_RETRY_BASE_SECONDS: '0.2' }), launchBrowser()]);
    await waitForDemoExams(portal);
    physician = await newContext(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('shares the images from the results table: the pop-up of the guide, then an e-mail with the comment, the link and its QR code', async () => {
    const page = await physician.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(DEMO_PHYSICIAN.email, DEMO_PHYSICIAN.password);
    const dashboard = new DashboardPage(page, portal.url);
    await dashboard.heading().waitFor();
    await dashboard.search('hélène');
    await dashboard.openPatient('Hélène Dupont-Moreau');
    const record = new PatientRecordPage(page);
    await record.showResults();
    const row = record.resultRows().filter({ hasText: 'Imagerie' }).first();
    const title = (await row.locator('a').textContent())!.trim();
    await row.getByRole('button', { name: `Partager le document ${title}` }).click();

    const share = new ShareDialog(page);
    await share.dialog().waitFor();
    const text = (await share.dialog().textContent())!;
    expect(text).toContain(`Vous êtes sur le point de partager le document\u00a0: ${title}`);
    expect(text).toMatch(new RegExp(`Ce document sera disponible pendant ${TTL_SECONDS} secondes, jusqu’au \\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}\\.`));
    expect(text).toContain('Veuillez saisir l’adresse mail du destinataire.');
    // ADR 0098: the physician is told, before sending, that the recipient will see who the patient is.
    expect(text).toContain('Le destinataire verra l’identité du patient (nom, date de naissance, sexe) et les images telles que le centre d’imagerie les a produites');
    // Focus starts in the form and stays in the dialog; Escape closes it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('share-email');
    for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
    expect(await share.dialog().evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await share.dialog().waitFor({ state: 'detached' });

    await row.getByRole('button', { name: `Partager le document ${title}` }).click();
    await share.fill('pas-une-adresse', '');
    await share.submit();
    await page.getByTestId('share-email-error').waitFor();
    await share.fill('confrere@cabinet.example', 'Merci de votre avis sur cette échographie.');
    await screenshot(page, '05-3-pop-up-partage');
    firstSharedAt = Date.now();
    await share.submit();
    await share.confirmation().waitFor();
    expect(await share.confirmation().textContent()).toContain('confrere@cabinet.example');
    await share.close();

    const mail = await portal.waitForMail(shareMailTo('confrere@cabinet.example'));
    firstLink = linkOf(mail);
    expect(firstLink).toMatch(new RegExp(`^${portal.url}/s/[A-Za-z0-9_-]{43}$`));
    expect(mail.text).toContain('Des examens ont été sélectionnés à votre attention par Dr Claire Martin.');
    expect(mail.text).toContain('Merci de votre avis sur cette échographie.');
    expect(mail.html).toContain(`href="${firstLink}"`);
    expect(qrOf(mail)).toBe(firstLink);
    for (const patientData of ['Hélène', 'Dupont', title]) expect(`${mail.subject}${mail.text}${mail.html}`).not.toContain(patientData);
    const mailbox = await physician.newPage();
    await mailbox.goto(`${portal.url}/dev/mailbox`);
    await screenshot(mailbox, '05-3-e-mail-partage');
    await mailbox.close();
  });

  it('a browser without any session opens the link: the token leaves the address bar, images and report are shown', async () => {
    recipient = await newContext(browser);
    const view = new SharePage(await recipient.newPage());
    const pdf = view.page.waitForResponse((r) => /\/api\/documents\/[^/]+\/report\.pdf$/.test(r.url()));
    await view.open(firstLink);
    await view.examTitle().waitFor();
    expect(new URL(view.page.url()).pathname).toBe('/partage');
    expect(view.page.url()).not.toContain(firstLink.split('/s/')[1]!);
    expect(await view.patient().textContent()).toBe('Hélène Dupont-Moreau');
    // ADR 0098: whose exam it is, and that these are confidential health data carrying the patient's identity.
    expect(await view.page.getByTestId('share-patient-birth-date').textContent()).toBe('12 mars 1961');
    expect(await view.page.getByTestId('share-patient-sex').textContent()).toBe('Femme');
    // Issue 19 finding 8: who shared, and what they wrote (the e-mail carried it, the page now shows it too).
    expect((await view.sharedBy().textContent())?.trim()).toBe('Partagé par Dr Claire Martin');
    expect((await view.comment().textContent())?.trim()).toBe('Merci de votre avis sur cette échographie.');
    const notice = (await view.page.getByTestId('share-notice').textContent())!;
    expect(notice).toContain('Données de santé confidentielles');
    expect(notice).toContain('Les images et le compte-rendu portent l’identité du patient');
    expect(await view.expiry().textContent()).toMatch(/^Accès disponible jusqu’au \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    expect(await view.support().textContent()).toContain('03 83 97 13 70');
    await view.waitForImages();
    await view.reportFrame().waitFor();
    const report = await pdf;
    expect(report.status()).toBe(200);
    expect(report.headers()['content-type']).toBe('application/pdf');
    const studies = await recipient.request.get(`${portal.url}/dicomweb/studies`, { headers: { accept: 'application/dicom+json' } });
    expect(studies.status()).toBe(200);
    expect(((await studies.json()) as unknown[]).length).toBe(1);
    await screenshot(view.page, '05-3-page-de-partage');
  });

  it('works on a phone (390 × 844, touch)', async () => {
    const phone = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const view = new SharePage(await phone.newPage());
    await view.open(firstLink);
    await view.examTitle().waitFor();
    await view.waitForImages();
    const overflow = await view.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await view.page.getByTestId('share-viewer').boundingBox();
    expect(box!.width).toBeGreaterThan(340);
    await screenshot(view.page, '05-3-page-de-partage-mobile');
    await phone.close();
  });

  it('shares the report from the document view, lists it in « Mes partages », revokes it: the link then says revoked', async () => {
    const page = await physician.newPage();
    const record = new PatientRecordPage(page);
    await page.goto(`${portal.url}/`);
    const dashboard = new DashboardPage(page, portal.url);
    await dashboard.heading().waitFor();
    await dashboard.search('hélène');
    await dashboard.openPatient('Hélène Dupont-Moreau');
    await record.showResults();
    const reportTitle = (await record.resultRows().filter({ hasText: 'Compte-rendu' }).first().locator('a').textContent())!.trim();
    await record.openDocument(reportTitle);
    await new DocumentPage(page).title().waitFor();
    await page.getByRole('button', { name: 'Partager ce document' }).click();
    const share = new ShareDialog(page);
    await share.fill('aidant@famille.example', 'Le compte-rendu');
    await share.submit();
    await share.confirmation().waitFor();
    await share.close();
    const link = linkOf(await portal.waitForMail(shareMailTo('aidant@famille.example')));

    const other = await newContext(browser);
    const view = new SharePage(await other.newPage());
    await view.open(link);
    await view.reportFrame().waitFor();

    const mine = new SharesPage(page, portal.url);
    await mine.open();
    await expect.poll(async () => mine.row('confrere@cabinet.example').getByTestId('share-open-count').textContent()).toBe('2');
    expect(await mine.row('aidant@famille.example').getByTestId('share-status').textContent()).toBe('Actif');
    // Issue 19 finding 8: whose exam each share is.
    for (const recipientEmail of ['confrere@cabinet.example', 'aidant@famille.example']) {
      expect((await mine.patient(recipientEmail).textContent())?.trim()).toBe('Hélène Dupont-Moreau');
    }
    await mine.revoke('aidant@famille.example');
    expect(await mine.row('aidant@famille.example').getByTestId('share-status').textContent()).toBe('Révoqué');
    await screenshot(page, '05-3-mes-partages');

    // The page already open learns it on its next request; the link says it too.
    await view.page.reload();
    await view.refusal().waitFor();
    expect(await view.refusal().textContent()).toBe('Ce lien de partage a été révoqué par le médecin.');
    expect(await view.page.getByTestId('share-report').count()).toBe(0);
    const fresh = await (await newContext(browser)).newPage();
    await fresh.goto(link);
    expect(await new SharePage(fresh).refusal().textContent()).toBe('Ce lien de partage a été révoqué par le médecin.');
    await screenshot(fresh, '05-3-lien-revoque');
    await other.close();
  });

  it('after the share’s lifetime the open page says it expired and the DICOMweb reads are refused', async () => {
    const [view] = recipient.pages();
    const page = new SharePage(view!);
    expect(await view!.locator('[data-testid="share-viewer"] [data-testid="viewer"]').getAttribute('data-state')).toBe('ready');
    await page.refusal().waitFor({ timeout: Math.max(5_000, firstSharedAt + (TTL_SECONDS + 30) * 1000 - Date.now()) });
    expect(await page.refusal().textContent()).toBe('Ce lien de partage a expiré.');
    expect(await view!.locator('[data-testid="viewer"]').count()).toBe(0);
    const dicomweb = await recipient.request.get(`${portal.url}/dicomweb/studies`, { headers: { accept: 'application/dicom+json' } });
    expect(dicomweb.status()).toBe(401);
    await screenshot(view!, '05-3-lien-expire');
    await view!.goto(firstLink);
    expect(await page.refusal().textContent()).toBe('Ce lien de partage a expiré.');
  }, 150_000);

  it('an invitation the mail server refuses: « Invitation non remise » and why on « Mes partages », and the bell tells the physician', async () => {
    // The built-in mail server refuses the reserved .invalid domain, as a real relay would.
    const recipientEmail = 'confrere@cabinet-ferme.invalid';
    const page = await physician.newPage();
    await page.goto(`${portal.url}/`);
    const dashboard = new DashboardPage(page, portal.url);
    await dashboard.heading().waitFor();
    await dashboard.search('hélène');
    await dashboard.openPatient('Hélène Dupont-Moreau');
    const record = new PatientRecordPage(page);
    await record.showResults();
    const row = record.resultRows().filter({ hasText: 'Imagerie' }).first();
    const title = (await row.locator('a').textContent())!.trim();
    await row.getByRole('button', { name: `Partager le document ${title}` }).click();
    const share = new ShareDialog(page);
    await share.fill(recipientEmail, '');
    await share.submit();
    await share.confirmation().waitFor();
    await share.close();

    const mine = new SharesPage(page, portal.url);
    await expect
      .poll(async () => {
        await mine.open();
        return mine.row(recipientEmail).getByTestId('share-delivery').textContent();
      }, { timeout: 15_000 })
      .toContain('Invitation non remise');
    expect(await mine.row(recipientEmail).getByTestId('share-delivery-reason').textContent()).toBe('L’adresse du destinataire a été refusée. Vérifiez-la et partagez à nouveau.');
    expect(await mine.row('confrere@cabinet.example').getByTestId('share-delivery').count()).toBe(0);
    await screenshot(page, '05-3-invitation-non-remise');

    const bell = new NotificationsPage(page);
    await bell.bell().click();
    await bell.panel().waitFor();
    await expect.poll(() => bell.items().filter({ hasText: 'L’invitation de votre partage n’a pas pu être remise à son destinataire' }).count()).toBe(1);
    await page.close();
  });
});
