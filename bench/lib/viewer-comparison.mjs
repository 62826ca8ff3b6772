/**
 * bench:viewer's comparison figures (issue 19): two CT series side by side, layout changes and
 * scrolling in sync. The comparison patient is made here, through the portal's own interfaces:
 * an administrator creates an imaging centre and its API key (GraphQL), which stores two CT
 * thorax studies of 64 slices of 512×512 (STOW-RS, the demo generator's phantom, new UIDs) and
 * publishes them for the demo physician the bench signs in as (publishExam).
 */
import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './measure.mjs';
import { graphql } from './viewer-portal.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => pathToFileURL(path.join(root, 'server', 'dist', p)).href;

async function post(url, query, variables, headers) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Two CT thorax exams (current and prior, 64 × 512×512 each) of a new patient, for the bench's physician. */
export async function publishComparisonStudies(browser, url) {
  const { generateCtSeries, newUid } = await import(dist('modules/demo/generator/index.js'));
  const { PHYSICIANS } = await import(dist('modules/demo/generator/people.js'));
  const { finessWithCheckDigit } = await import(dist('common/identifiers.js'));
  const admin = await browser.newContext();
  const page = await admin.newPage();
  await graphql(page, url, 'mutation { login(email: "admin@demo.e-mage.fr", password: "Demo-e-mage-2026") { id } }');
  const finess = finessWithCheckDigit(`54${String(randomInt(0, 1e6)).padStart(6, '0')}`);
  const facility = (await graphql(page, url, `mutation { createFacility(name: "Centre du banc de comparaison", finess: "${finess}") { id } }`)).createFacility;
  const { key } = (await graphql(page, url, `mutation { createApiKey(facilityId: "${facility.id}") { key } }`)).createApiKey;
  await admin.close();
  const rpps = PHYSICIANS.find((p) => p.key === 'schmitt').rpps;
  const patient = { ipp: `BENCH-${randomInt(1e6, 1e7)}`, lastName: 'Comparaison', firstName: 'Odile' };
  const exams = [];
  for (const [title, daysAgo, seed] of [['SCANNER THORACIQUE', 10, 11], ['SCANNER THORACIQUE DE CONTROLE', 400, 12]]) {
    const studyUid = newUid();
    const date = new Date(Date.now() - daysAgo * 86_400_000);
    const context = {
      patient: { patientId: patient.ipp, name: { familyName: patient.lastName, givenName: patient.firstName }, birthDate: '1958-02-11', sex: 'F' },
      study: { studyInstanceUid: studyUid, date, accessionNumber: `B${randomInt(1e6, 1e7)}`, studyId: '1', description: title, institutionName: 'Centre du banc' },
    };
    const boundary = `bench-${randomBytes(8).toString('hex')}`;
    const chunks = [];
    for (const instance of generateCtSeries({ context, phantom: 'thorax', seed })) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), instance.data, Buffer.from('\r\n'));
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const stow = await fetch(`${url}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
      body: Buffer.concat(chunks),
    });
    if (stow.status !== 200) throw new Error(`STOW-RS answered ${stow.status}`);
    const input = { patient, accessionNumber: `B${randomInt(1e6, 1e7)}`, studyInstanceUid: studyUid, title, date: date.toISOString(), prescriberRpps: rpps, documents: [{ type: 'IMAGING', title, date: date.toISOString(), studyInstanceUid: studyUid }] };
    const { publishExam } = await post(url, 'mutation($input: PublishExamInput!) { publishExam(input: $input) { id } }', { input }, { authorization: `Bearer ${key}` });
    exams.push({ examId: publishExam.id, studyUid, title });
  }
  return { current: exams[0], prior: exams[1] };
}

/** In the page: resolves with performance.now() once `done()` holds, checked after each DOM change. */
const WAIT_FN = `(done) => new Promise((resolve) => {
  if (done()) return resolve(performance.now());
  const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); resolve(performance.now()); } });
  mo.observe(document.querySelector('[data-testid="viewer"]'), { subtree: true, attributes: true, childList: true, characterData: true });
})`;

/** In the page: pane `i` has drawn an image. */
const DRAWN_FN = `(i) => Number(document.querySelector('[data-testid="viewer"] .emv-pane[data-pane="' + i + '"]')?.dataset.renderedCount ?? 0) > 0`;

/**
 * RUNS times: the current exam's page loaded (its whole series), « Comparer » on the prior →
 * the prior's first image drawn beside it (metadata request, first frame, decode, draw); and
 * navigation start → the current exam's first image, as a peer. Then layout changes and
 * scrolling in sync on the last page.
 */
export async function comparisonFigures(page, url, { current, prior }, runs) {
  const doc = (await graphql(page, url, `{ exam(id: "${current.examId}") { documents { id } } }`)).exam.documents[0];
  const sideBySide = [];
  const single = [];
  for (let i = 0; i < runs; i++) {
    await page.goto(`${url}/documents/${doc.id}`);
    await page.waitForFunction(() => window.__viewerMarks?.allLoaded !== undefined, undefined, { timeout: 60_000 });
    single.push(await page.evaluate(() => window.__viewerMarks.firstImage));
    await page.locator('[data-testid="viewer"][data-tools="ready"]').waitFor();
    // The panel lists the prior once the shell's query answered.
    await page.locator(`.emv-prior-open[data-study-uid="${prior.studyUid}"]`).waitFor({ state: 'attached' });
    sideBySide.push(
      await page.evaluate(`(async () => {
        const wait = ${WAIT_FN};
        const drawn = ${DRAWN_FN};
        const t0 = performance.now();
        document.querySelector('.emv-prior-open[data-study-uid="${prior.studyUid}"]').click();
        const t1 = await wait(() => drawn(1));
        return t1 - t0;
      })()`),
    );
  }
  // Both series wholly loaded, then layout changes: click → every new pane drawn (cached frames).
  await page.waitForFunction(() => {
    const bars = [...document.querySelectorAll('[data-testid="viewer"] .emv-thumb [role="progressbar"]')];
    return bars.length >= 2 && bars.every((b) => b.getAttribute('aria-valuenow') === b.getAttribute('aria-valuemax'));
  }, undefined, { timeout: 120_000 });
  const layout = { '2x2': [], '1x2': [], '1x1': [] };
  for (let i = 0; i < runs; i++) {
    for (const [id, panes] of [['2x2', 4], ['1x1', 1], ['1x2', 2]]) {
      layout[id].push(
        await page.evaluate(`(async () => {
          const wait = ${WAIT_FN};
          const drawn = ${DRAWN_FN};
          const t0 = performance.now();
          document.querySelector('[data-action="layout"][data-layout="${id}"]').click();
          await wait(() => document.querySelectorAll('[data-testid="viewer"] .emv-pane').length === ${panes} && [...Array(${panes}).keys()].every(drawn));
          // The change is on screen at the next paint.
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          return performance.now() - t0;
        })()`),
      );
    }
  }
  // Scrolling: 64 slices from the first, one key press after the previous image is drawn, alone
  // (1×1, the peer) and in sync (1×2, the other viewport following).
  const scroll = async (panes) =>
    page.evaluate(`(async () => {
      const wait = ${WAIT_FN};
      const root = document.querySelector('[data-testid="viewer"]');
      const vp = root.querySelector('.emv-pane[data-pane="0"] [data-testid="viewport"]');
      vp.focus();
      const key = (k) => vp.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
      key('Home');
      await wait(() => root.querySelector('.emv-pane[data-pane="0"]').dataset.imageIndex === '0');
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const counts = () => [...Array(${panes}).keys()].map((p) => Number(root.querySelector('.emv-pane[data-pane="' + p + '"]').dataset.renderedCount));
      const t0 = performance.now();
      for (let i = 1; i < 64; i++) {
        const before = counts();
        key('ArrowDown');
        await wait(() => counts().every((c, p) => c > before[p]));
      }
      const ms = performance.now() - t0;
      const follower = ${panes} > 1 ? root.querySelector('.emv-pane[data-pane="1"]').dataset.imageIndex : null;
      return { ms, follower };
    })()`);
  await page.evaluate(() => document.querySelector('[data-action="layout"][data-layout="1x1"]').click());
  const alone = await scroll(1);
  await page.evaluate(() => document.querySelector('[data-action="layout"][data-layout="1x2"]').click());
  await page.evaluate(`(${WAIT_FN})(() => (${DRAWN_FN})(1))`);
  await page.evaluate(() => document.querySelector('[data-action="syncScroll"]').click());
  const synced = await scroll(2);
  if (synced.follower !== '63') throw new Error(`the other viewport did not follow to the last slice (image index ${synced.follower})`);
  return { single, sideBySide, layout, alone: alone.ms, synced: synced.ms };
}

export function reportComparison(figures, ms) {
  const { single, sideBySide, layout, alone, synced } = figures;
  const rate = (t) => (63 / (t / 1000)).toFixed(1);
  console.log(
    `comparison, two CT series side by side (2 × 64 × 512×512): « Comparer » on the prior → its first image beside the current one median ${ms(median(sideBySide))} ` +
      `(runs ${sideBySide.map(ms).join(', ')}; target ≤ 800 ms, ratio ${(median(sideBySide) / 800).toFixed(2)}); ` +
      `peer in the same runs: navigation → the current exam's first image median ${ms(median(single))} (ratio ${(median(sideBySide) / median(single)).toFixed(2)})`,
  );
  console.log(
    `layout change, click → every viewport drawn and painted (series cached): ` +
      Object.entries(layout).map(([id, runs]) => `→ ${id} median ${ms(median(runs))} (runs ${runs.map(ms).join(', ')})`).join('; ') +
      `; target ≤ 100 ms, worst median ratio ${(Math.max(...Object.values(layout).map(median)) / 100).toFixed(2)}`,
  );
  console.log(
    `scrolling 64 slices (63 steps, each after the previous image is drawn): in sync in 1×2 ${ms(synced)}, ${rate(synced)} images/s per viewport (target ≥ 30); ` +
      `peer, one viewport alone ${ms(alone)}, ${rate(alone)} images/s; ratio in sync / alone ${(alone / synced).toFixed(2)}`,
  );
}
