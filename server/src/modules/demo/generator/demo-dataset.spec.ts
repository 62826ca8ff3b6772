import { describe, expect, it } from 'vitest';
import { isValidFiness, isValidNir, isValidRpps } from '../../../common/identifiers.js';
import { buildDemoDataset, type DemoExam } from './demo-dataset.js';
import { parse, utf8 } from './dicom-test-utils.js';

const now = new Date('2025-06-01T10:00:00Z');
const dataset = buildDemoDataset({ now });

/** The plain data, functions left out, to compare two builds. */
const plain = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'function' ? undefined : v));

describe('demo dataset', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    expect(plain(buildDemoDataset({ now }))).toBe(plain(dataset));
    expect(plain(buildDemoDataset({ now, seed: 1 }))).not.toBe(plain(dataset));
  });

  it('has facilities in Lorraine with valid FINESS and physicians with valid RPPS', () => {
    expect(dataset.facilities.length).toBeGreaterThanOrEqual(2);
    for (const f of dataset.facilities) {
      expect(isValidFiness(f.finess), f.finess).toBe(true);
      expect(['54', '55', '57', '88']).toContain(f.address.postalCode.slice(0, 2));
      expect(isValidRpps(f.radiologist.rpps)).toBe(true);
    }
    expect(dataset.facilities.map((f) => f.name)).toContain("Centre d'imagerie de Nancy");
    const withAccount = dataset.physicians.filter((p) => p.hasAccount);
    expect(withAccount).toHaveLength(3);
    for (const p of dataset.physicians) expect(isValidRpps(p.rpps), p.rpps).toBe(true);
    expect(withAccount.map((p) => `${p.firstName} ${p.lastName}`)).toContain('Claire Martin');
  });

  it('has about twelve patients with accented and compound names and valid INS', () => {
    expect(dataset.patients.length).toBeGreaterThanOrEqual(12);
    const helene = dataset.patients.find((p) => p.firstName === 'Hélène' && p.lastName === 'Dupont-Moreau');
    expect(helene?.birthName).toBe('Moreau');
    const names = dataset.patients.map((p) => `${p.firstName} ${p.lastName}`);
    expect(names).toEqual(expect.arrayContaining(['Élodie Lefèvre', 'François Nguyễn', 'Zoé Bâtard']));
    for (const p of dataset.patients) {
      expect(isValidNir(p.ins.nir), p.ins.nir).toBe(true);
      expect(p.records.length).toBeGreaterThan(0);
      for (const r of p.records) {
        expect(r.ipp).toMatch(/^\d{8}$/);
        expect(r.phone).toMatch(/^0\d( \d\d){4}$/);
        expect(r.address.postalCode).toMatch(/^\d{5}$/);
      }
    }
    expect(new Set(helene?.records.map((r) => r.facilityKey)).size).toBe(2);
  });

  it('covers the access rules: two prescribers for one patient, a physician without account', () => {
    const rppsOf = (key: string): string => dataset.physicians.find((p) => p.key === key)!.rpps;
    const heleneExams = dataset.exams.filter((e) => e.patientKey === 'dupont-moreau');
    expect(new Set(heleneExams.map((e) => e.prescriberRpps)).size).toBeGreaterThanOrEqual(2);
    const visibleToMartin = (e: DemoExam): boolean => e.prescriberRpps === rppsOf('martin') || e.correspondentRpps.includes(rppsOf('martin'));
    expect(heleneExams.some((e) => !visibleToMartin(e))).toBe(true);
    const noAccount = dataset.physicians.filter((p) => !p.hasAccount).map((p) => p.rpps);
    expect(dataset.exams.some((e) => noAccount.includes(e.prescriberRpps))).toBe(true);
  });

  it('spreads exams over the last two years with unique accession numbers and study UIDs', () => {
    const twoYears = 2 * 366 * 86_400_000;
    for (const e of dataset.exams) {
      expect(now.getTime() - e.date.getTime()).toBeGreaterThan(0);
      expect(now.getTime() - e.date.getTime()).toBeLessThan(twoYears);
      expect(e.accessionNumber.length).toBeLessThanOrEqual(16);
      expect(e.documents.some((d) => d.type === 'REPORT')).toBe(true);
    }
    expect(new Set(dataset.exams.map((e) => e.accessionNumber)).size).toBe(dataset.exams.length);
    expect(new Set(dataset.exams.map((e) => e.studyInstanceUid)).size).toBe(dataset.exams.length);
    const titles = dataset.exams.map((e) => e.title);
    expect(titles).toEqual(expect.arrayContaining(['ECHOGRAPHIE CERVICALE', 'SCANNER THORACIQUE', 'IRM GENOU DROIT', 'Consultation Radio']));
    const generators = dataset.exams.flatMap((e) => e.documents.flatMap((d) => (d.type === 'IMAGING' ? [d.generator] : [])));
    expect(generators.filter((g) => g === 'ct-thorax')).toHaveLength(1);
  });

  it('produces instances that match what the exam declares', () => {
    // Reports and the short cine in full; the CT series and the long cine through their first
    // instance, which the generators make lazily.
    for (const exam of dataset.exams) {
      for (const doc of exam.documents) {
        const heavy = doc.type === 'IMAGING' && doc.generator !== 'us-neck-short';
        const iterator = doc.instances()[Symbol.iterator]();
        const instances = heavy ? [iterator.next().value!] : [...doc.instances()];
        if (!heavy) expect(instances).toHaveLength(doc.instanceCount);
        for (const instance of instances) {
          expect(instance.studyInstanceUid).toBe(exam.studyInstanceUid);
          expect(instance.seriesInstanceUid).toBe(doc.seriesInstanceUid);
          const ds = parse(instance.data);
          expect(ds.string('x0020000d')).toBe(exam.studyInstanceUid);
          expect(ds.string('x00080050')).toBe(exam.accessionNumber);
          expect(ds.string('x00100020')).toBe(exam.patientRecord.ipp);
          expect(ds.string('x00080060')).toBe(doc.modality);
          if (doc.type === 'REPORT') expect(ds.string('x00080018')).toBe(doc.sopInstanceUid);
        }
      }
    }
    const helene = dataset.exams.find((e) => e.key === 'e03')!;
    const report = helene.documents.find((d) => d.type === 'REPORT')!;
    const ds = parse([...report.instances()][0]!.data);
    expect(utf8(ds, 'x00100010')).toBe('DUPONT-MOREAU^Hélène');
    expect(utf8(ds, 'x00080090')).toBe('SCHMITT^Thomas^^Dr');
  });
});
