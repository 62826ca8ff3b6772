import { describe, expect, it } from 'vitest';
import { SopClass } from './dicom-tags.js';
import { parse, utf8 } from './dicom-test-utils.js';
import { newUid } from './dicom-writer.js';
import { generateEncapsulatedPdf } from './encapsulated-pdf.js';
import { encodeWinAnsi, renderPdfReport, textWidth, wrapText, type PdfReportContent } from './pdf-report.js';
import { reportSections } from './report-texts.js';
import type { StudyContext } from './study-context.js';

const content: PdfReportContent = {
  facility: { name: "Centre d'imagerie de Nancy", address: '18 rue Stanislas, 54000 Nancy', phone: '03 83 00 11 22', finess: '540990013' },
  title: 'SCANNER THORACIQUE',
  examDate: new Date('2025-05-11T09:00:00Z'),
  patient: { displayName: 'Mme Hélène DUPONT-MOREAU (née MOREAU)', birthDate: '12/03/1961', patientId: '54123456' },
  prescriber: 'Dr Claire Martin',
  sections: reportSections('SCANNER THORACIQUE'),
  signedBy: { name: 'Dr Paul Girard', role: 'médecin radiologue', rpps: '10099001017' },
};

/** Every xref entry must point at "<n> 0 obj" and startxref at "xref". */
function checkXref(pdf: Buffer): number {
  const text = pdf.toString('latin1');
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n?$/.exec(text)?.[1]);
  expect(text.slice(startxref, startxref + 4)).toBe('xref');
  const header = /xref\n0 (\d+)\n/.exec(text.slice(startxref));
  const count = Number(header?.[1]);
  const entriesStart = startxref + (header?.[0].length ?? 0);
  for (let i = 0; i < count; i++) {
    const entry = text.slice(entriesStart + 20 * i, entriesStart + 20 * (i + 1));
    expect(entry).toMatch(/^\d{10} \d{5} [nf]\r\n$/);
    if (i === 0) continue;
    const offset = Number(entry.slice(0, 10));
    expect(text.slice(offset, offset + `${i} 0 obj`.length)).toBe(`${i} 0 obj`);
  }
  return count;
}

describe('PDF report', () => {
  const pdf = renderPdfReport(content);
  const text = pdf.toString('latin1');

  it('is a PDF 1.4 file with a correct xref table', () => {
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(checkXref(pdf)).toBe(8);
    const length = Number(/\/Length (\d+) >>\nstream\n/.exec(text)?.[1]);
    const streamStart = text.indexOf('stream\n') + 'stream\n'.length;
    expect(text.slice(streamStart + length, streamStart + length + 'endstream'.length)).toBe('endstream');
  });

  it('uses Helvetica with WinAnsiEncoding and writes French accents as WinAnsi codes', () => {
    expect(text).toContain('/BaseFont /Helvetica /Encoding /WinAnsiEncoding');
    expect(text).toContain('/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding');
    expect(text).toContain('(R\\351sultats)');
    expect(text).toContain('H\\351l\\350ne DUPONT-MOREAU');
    expect(text).toContain('C\\234ur de taille normale'); // œ is 0x9C in WinAnsi
    expect(text).toContain('Dr Paul Girard, m\\351decin radiologue');
    expect(text).toContain('Indication');
    expect(text).toContain('Conclusion');
  });

  it('maps characters outside WinAnsi to their closest letter', () => {
    expect([...encodeWinAnsi('Nguyễn')]).toEqual([...Buffer.from('Nguy\xean', 'latin1')]);
    expect([...encodeWinAnsi('Œhmichen ç à €')]).toEqual([0x8c, ...Buffer.from('hmichen \xe7 \xe0 ', 'latin1'), 0x80]);
    expect([...encodeWinAnsi('漢')]).toEqual([0x3f]);
  });

  it('wraps on measured Helvetica widths and breaks onto a second page when needed', () => {
    expect(textWidth('Hello', 'regular', 10)).toBeCloseTo((722 + 556 + 222 + 222 + 556) / 100, 6);
    const lines = wrapText(content.sections[2]!.paragraphs[1]!, 'regular', 10.5, 483);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 'regular', 10.5)).toBeLessThanOrEqual(483);
    const long = renderPdfReport({ ...content, sections: [...content.sections, ...content.sections, ...content.sections] });
    const longText = long.toString('latin1');
    expect(longText).toContain('/Count 2');
    expect(longText).toContain('page 2/2');
    expect(checkXref(long)).toBe(10);
  });
});

describe('Encapsulated PDF', () => {
  const pdf = renderPdfReport(content);
  const context: StudyContext = {
    patient: { patientId: '54123456', issuerOfPatientId: '540990013', name: { familyName: 'Dupont-Moreau', givenName: 'Hélène' }, birthFamilyName: 'Moreau', birthDate: '1961-03-12', sex: 'F' },
    study: { studyInstanceUid: newUid(), date: content.examDate, accessionNumber: 'NCY25000102', studyId: '000102', description: 'SCANNER THORACIQUE', institutionName: content.facility.name },
  };
  const instance = generateEncapsulatedPdf({ context, pdf, documentTitle: 'SCANNER THORACIQUE - (Compte-rendu)' });
  const ds = parse(instance.data);

  it('is Encapsulated PDF Storage in the study it was given', () => {
    expect(ds.string('x00080016')).toBe(SopClass.EncapsulatedPdf);
    expect(ds.string('x00020002')).toBe(SopClass.EncapsulatedPdf);
    expect(ds.string('x00080060')).toBe('DOC');
    expect(ds.string('x00420012')).toBe('application/pdf');
    expect(ds.string('x00280301')).toBe('YES');
    expect(ds.string('x0020000d')).toBe(context.study.studyInstanceUid);
    expect(ds.elements.x0040a043?.items?.[0]?.dataSet?.string('x00080100')).toBe('18748-4');
    expect(utf8(ds, 'x00420010')).toBe('SCANNER THORACIQUE - (Compte-rendu)');
    expect(utf8(ds, 'x00100010')).toBe('DUPONT-MOREAU^Hélène');
    expect(utf8(ds, 'x00101005')).toBe('MOREAU^Hélène');
  });

  it('carries the PDF byte for byte', () => {
    const e = ds.elements.x00420011!;
    expect(e.length % 2).toBe(0);
    const length = ds.uint32('x00420015') ?? 0;
    expect(length).toBe(pdf.length);
    expect(Buffer.from(ds.byteArray.subarray(e.dataOffset, e.dataOffset + length)).equals(pdf)).toBe(true);
  });

  it('refuses something that is not a PDF', () => {
    expect(() => generateEncapsulatedPdf({ context, pdf: Buffer.from('hello'), documentTitle: 'x' })).toThrow(/not a PDF/);
  });
});
