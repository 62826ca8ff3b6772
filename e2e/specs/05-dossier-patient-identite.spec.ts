import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from '../support/browser.js';
import { openDashboardAsDemoPhysician, waitForDemoExams } from '../support/demo.js';
import { startPortal, type PortalServer } from '../support/server.js';

/**
 * Issue 19, finding 2: who the page is about, on every page of a patient — the record, a document
 * (the viewer's page, its new tab and pop-up included) and the share page — with birth date and
 * age, sex and the producing centre's IPP, and dates that cannot be read the wrong way round in
 * English (12/03/1961 became 03/12/1961). Hélène Dupont-Moreau of the demo data, née Moreau,
 * was born on 12 March 1961.
 */
const BIRTH = { year: 1961, month: 3, day: 12 };

function ageIn(today = new Date()): number {
  let age = today.getFullYear() - BIRTH.year;
  if (today.getMonth() + 1 < BIRTH.month || (today.getMonth() + 1 === BIRTH.month && today.getDate() < BIRTH.day)) age--;
  return age;
}

interface Patient {
  id: string;
  records: Array<{ ipp: string; facility: { id: string; name: string } }>;
  exams: Array<{ id: string; facility: { id: string }; documents: Array<{ id: string; type: string }> }>;
}

async function dupontMoreau(page: Page, url: string): Promise<Patient> {
  const res = await page.request.post(`${url}/graphql`, {
    data: {
      query: `{ patients(first: 1, filter: { name: "dupont" }) { edges { node { id records { ipp facility { id name } } exams { id facility { id } documents { id type } } } } } }`,
    },
  });
  const body = (await res.json()) as { data: { patients: { edges: Array<{ node: Patient }> } } };
  return body.data.patients.edges[0]!.node;
}

function banner(page: Page) {
  return page.getByRole('region', { name: /Identité du patient|Patient identity/ });
}

describe('§5 Dossier patient — le bandeau d’identité', () => {
  let portal: PortalServer;
  let browser: Browser;
  let page: Page;
  let patient: Patient;

  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
    await waitForDemoExams(portal);
    ({ page } = await openDashboardAsDemoPhysician(browser, portal, { viewport: { width: 1280, height: 900 } }));
    patient = await dupontMoreau(page, portal.url);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the record and a document page show name, birth name, birth date with age, sex and IPP, in French then in English', async () => {
    const imaging = patient.exams.flatMap((x) => x.documents.map((d) => ({ ...d, exam: x }))).find((d) => d.type === 'IMAGING')!;
    const producing = patient.records.find((r) => r.facility.id === imaging.exam.facility.id)!;
    expect(producing).toBeDefined();

    await page.goto(`${portal.url}/patients/${patient.id}`);
    const b = banner(page);
    await b.waitFor();
    await expect.poll(() => b.innerText()).toContain('DUPONT-MOREAU');
    let text = await b.innerText();
    expect(text).toContain('Hélène');
    expect(await b.getByTestId('banner-birth-name').innerText()).toContain('Moreau');
    expect(await b.getByTestId('banner-birth-date').innerText()).toContain(`12 mars 1961 (${ageIn()} ans)`);
    expect(await b.locator('time').getAttribute('datetime')).toBe('1961-03-12');
    expect(await b.getByTestId('banner-sex').innerText()).toContain('Femme');
    for (const r of patient.records) expect(text).toContain(`${r.ipp} (${r.facility.name})`);

    await page.goto(`${portal.url}/patients/${patient.id}/documents/${imaging.id}`);
    await b.waitFor();
    await expect.poll(() => b.getByTestId('banner-ipp').innerText()).toContain(`${producing.ipp} (${producing.facility.name})`);
    expect(await b.getByTestId('banner-birth-date').innerText()).toContain('12 mars 1961');
    // The viewer's new tab and pop-up are this page on its own.
    await page.goto(`${portal.url}/documents/${imaging.id}`);
    await b.waitFor();
    await expect.poll(() => b.getByTestId('banner-ipp').innerText()).toContain(producing.ipp);
    text = await b.getByTestId('banner-ipp').innerText();
    for (const other of patient.records.filter((r) => r.facility.id !== producing.facility.id)) expect(text).not.toContain(other.ipp);

    await page.evaluate(() => localStorage.setItem('emage.locale', 'en'));
    await page.goto(`${portal.url}/patients/${patient.id}?vue=resultats`);
    await b.waitFor();
    await expect.poll(() => b.getByTestId('banner-birth-date').innerText()).toContain(`12 Mar 1961 (${ageIn()} years)`);
    expect(await b.getByTestId('banner-sex').innerText()).toContain('Female');
    expect(await b.innerText()).toContain('Date of birth');
    // Exam dates in English: day, month in words, year — never MM/DD/YYYY.
    const dates = await page.locator('[data-testid="result-row"] time').allInnerTexts();
    expect(dates.length).toBeGreaterThan(0);
    for (const d of dates) expect(d).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}$/);
    await page.goto(`${portal.url}/documents/${imaging.id}`);
    await expect.poll(() => b.getByTestId('banner-birth-date').innerText()).toContain('12 Mar 1961');
    await page.evaluate(() => localStorage.removeItem('emage.locale'));
  });

  it('on a 390 × 844 phone the banner is on screen, whole, above the images', async () => {
    const imaging = patient.exams.flatMap((x) => x.documents).find((d) => d.type === 'IMAGING')!;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${portal.url}/patients/${patient.id}/documents/${imaging.id}`);
    const b = banner(page);
    await b.getByTestId('banner-ipp').waitFor();
    const box = (await b.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    expect(box.y + box.height).toBeLessThanOrEqual(844);
    // Reading mode on a phone (ADR 0130): the banner on top, the viewer right under it.
    await page.locator('[data-testid="viewer"]').waitFor();
    const viewer = (await page.getByTestId('viewer').boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(viewer.y);
    for (const id of ['banner-name', 'banner-birth-date', 'banner-sex', 'banner-ipp']) expect(await b.getByTestId(id).isVisible(), id).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('the share page shows whose exam it is — name, birth date, age and sex — in French and in English', async () => {
    const imaging = patient.exams.flatMap((x) => x.documents).find((d) => d.type === 'IMAGING')!;
    const res = await page.request.post(`${portal.url}/graphql`, {
      data: { query: 'mutation($id: ID!) { shareDocument(documentId: $id, email: "confrere.identite@cabinet.example") { id } }', variables: { id: imaging.id } },
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    const mail = await portal.waitForMail((m) => m.to.includes('confrere.identite@cabinet.example'));
    const link = /(https?:\/\/\S+\/s\/[A-Za-z0-9_-]+)/.exec(mail.text)![1]!;

    const recipient = await newContext(browser);
    const p = await recipient.newPage();
    await p.goto(link);
    const b = banner(p);
    await b.waitFor();
    expect(await b.getByTestId('share-patient').innerText()).toBe('Hélène Dupont-Moreau');
    expect(await b.getByTestId('share-patient-birth-date').innerText()).toBe('12 mars 1961');
    expect(await b.getByTestId('share-patient-age').innerText()).toBe(`${ageIn()} ans`);
    expect(await b.getByTestId('share-patient-sex').innerText()).toBe('Femme');

    await p.getByRole('combobox', { name: 'Langue' }).selectOption('en');
    await expect.poll(() => b.getByTestId('share-patient-birth-date').innerText()).toBe('March 12, 1961');
    expect(await b.getByTestId('share-patient-age').innerText()).toBe(`${ageIn()} years`);
    expect(await b.getByTestId('share-patient-sex').innerText()).toBe('Female');
    expect(await p.getByTestId('share-exam-date').innerText()).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}$/);
    await recipient.close();
  });
});
