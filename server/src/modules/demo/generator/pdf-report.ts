/**
 * A minimal PDF 1.4 writer for one- or two-page radiology reports.
 *
 * Text uses the standard 14 fonts Helvetica and Helvetica-Bold with WinAnsiEncoding, which every
 * viewer has and which covers French (é è à ç œ « »…), so nothing is embedded and the file stays
 * a few kilobytes. Strings are written with octal escapes, so the file body is plain ASCII apart
 * from the binary marker comment, and byte offsets in the xref table are exact.
 */
import { createHash } from 'node:crypto';

export interface ReportSection {
  readonly heading: string;
  readonly paragraphs: readonly string[];
}

export interface PdfReportContent {
  readonly facility: { readonly name: string; readonly address: string; readonly phone: string; readonly finess: string };
  /** Exam title, e.g. "SCANNER THORACIQUE". */
  readonly title: string;
  readonly examDate: Date;
  readonly patient: { readonly displayName: string; readonly birthDate: string; readonly patientId: string };
  readonly prescriber?: string;
  readonly sections: readonly ReportSection[];
  readonly signedBy: { readonly name: string; readonly role: string; readonly rpps?: string };
}

// ---------------------------------------------------------------------------------------------
// WinAnsiEncoding and Helvetica metrics

/** The cp1252 code points that are not Latin-1 (PDF 32000-1 annex D.2). */
const WIN_ANSI_EXTRA: Readonly<Record<string, number>> = {
  '€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89,
  'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95,
  '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
  // French typography puts narrow no-break spaces before ; : ! ? and inside « »
  '\u202f': 0xa0, '\u2009': 0x20,
};

function winAnsiCode(ch: string): number | undefined {
  const extra = WIN_ANSI_EXTRA[ch];
  if (extra !== undefined) return extra;
  const cp = ch.codePointAt(0) ?? 0;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return undefined;
}

/**
 * Text as WinAnsi bytes. A character outside the encoding (e.g. the "ễ" of Nguyễn) loses
 * diacritics one at a time until it fits ("ê"), then falls back to its base letter, then "?".
 */
export function encodeWinAnsi(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    let code = winAnsiCode(ch);
    if (code === undefined) {
      const [base = '?', ...marks] = [...ch.normalize('NFD')];
      for (let keep = marks.length - 1; keep >= 0 && code === undefined; keep--) {
        code = winAnsiCode((base + marks.slice(0, keep).join('')).normalize('NFC'));
      }
    }
    out.push(code ?? 0x3f);
  }
  return Buffer.from(out);
}

/** Advance widths (1/1000 em) of ASCII 32–126, from the Adobe Core 14 AFM files. */
const HELVETICA_ASCII = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778,
  722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278,
  278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD_ASCII = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778,
  722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333,
  278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
  611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];
/** Widths of the non-ASCII WinAnsi glyphs used in French text that are not an accented letter. */
const SPECIAL_WIDTHS: Readonly<Record<number, readonly [number, number]>> = {
  0x80: [556, 556], 0x85: [1000, 1000], 0x91: [222, 278], 0x92: [222, 278], 0x93: [333, 500],
  0x94: [333, 500], 0x95: [350, 350], 0x96: [556, 556], 0x97: [1000, 1000], 0x8c: [1000, 1000],
  0x9c: [944, 944], 0xa0: [278, 278], 0xab: [556, 556], 0xbb: [556, 556], 0xb0: [400, 400],
  0xb7: [278, 278], 0xc6: [1000, 1000], 0xe6: [889, 889], 0xdf: [611, 611], 0xb2: [333, 333],
  0xb3: [333, 333], 0xb5: [556, 611], 0xd7: [584, 584],
};

export type FontName = 'regular' | 'bold';

function glyphWidth(code: number, font: FontName): number {
  const table = font === 'bold' ? HELVETICA_BOLD_ASCII : HELVETICA_ASCII;
  if (code >= 0x20 && code <= 0x7e) return table[code - 0x20] ?? 556;
  const special = SPECIAL_WIDTHS[code];
  if (special) return font === 'bold' ? special[1] : special[0];
  // Accented letters take the width of their base letter in Helvetica.
  const base = String.fromCharCode(code).normalize('NFD').charCodeAt(0);
  if (base >= 0x20 && base <= 0x7e) return table[base - 0x20] ?? 556;
  return 556;
}

export function textWidth(text: string, font: FontName, size: number): number {
  let units = 0;
  for (const code of encodeWinAnsi(text)) units += glyphWidth(code, font);
  return (units * size) / 1000;
}

/** Greedy word wrap on measured widths. */
export function wrapText(text: string, font: FontName, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && textWidth(candidate, font, size) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function pdfString(text: string): string {
  let s = '(';
  for (const b of encodeWinAnsi(text)) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${b.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return `${s})`;
}

/** A text string for the document information dictionary: UTF-16BE with a byte order mark. */
function pdfTextString(text: string): string {
  const utf16 = Buffer.from(text, 'utf16le').swap16();
  return `<FEFF${utf16.toString('hex').toUpperCase()}>`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

export function frenchDate(d: Date): string {
  return `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

function pdfDate(d: Date): string {
  return `D:${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
}

// ---------------------------------------------------------------------------------------------
// Layout

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 56;
const BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const FOOTER_Y = 36;

interface Line {
  readonly text: string;
  readonly font: FontName;
  readonly size: number;
  /** Extra space above the line, points. */
  readonly before: number;
  readonly align?: 'left' | 'right';
}

function reportLines(c: PdfReportContent): Line[] {
  const lines: Line[] = [];
  const add = (text: string, font: FontName, size: number, before = 0, align: Line['align'] = 'left'): void => {
    wrapText(text, font, size, BODY_WIDTH).forEach((t, i) => lines.push({ text: t, font, size, before: i === 0 ? before : 0, align }));
  };
  add(c.facility.name, 'bold', 15);
  add(c.facility.address, 'regular', 9, 2);
  add(`Tél. ${c.facility.phone} — FINESS ${c.facility.finess}`, 'regular', 9);
  add(`Compte rendu — ${c.title}`, 'bold', 13, 26);
  add(`Examen du ${frenchDate(c.examDate)}`, 'regular', 10, 4);
  add(`Patient : ${c.patient.displayName}, né(e) le ${c.patient.birthDate} — IPP ${c.patient.patientId}`, 'regular', 10, 2);
  if (c.prescriber) add(`Médecin prescripteur : ${c.prescriber}`, 'regular', 10, 2);
  for (const section of c.sections) {
    add(section.heading, 'bold', 11, 16);
    for (const p of section.paragraphs) add(p, 'regular', 10.5, 4);
  }
  add(`${c.signedBy.name}, ${c.signedBy.role}`, 'bold', 10.5, 28, 'right');
  if (c.signedBy.rpps) add(`RPPS ${c.signedBy.rpps}`, 'regular', 9, 2, 'right');
  add('Compte rendu validé électroniquement.', 'regular', 9, 2, 'right');
  return lines;
}

function paginate(lines: readonly Line[]): Line[][] {
  const pages: Line[][] = [[]];
  let y = PAGE_HEIGHT - MARGIN;
  for (const line of lines) {
    const step = line.before + line.size * 1.3;
    if (y - step < FOOTER_Y + 24) {
      pages.push([]);
      y = PAGE_HEIGHT - MARGIN;
      pages[pages.length - 1]?.push({ ...line, before: 0 });
      y -= line.size * 1.3;
      continue;
    }
    pages[pages.length - 1]?.push(line);
    y -= step;
  }
  return pages;
}

function pageContent(lines: readonly Line[], footer: string): string {
  const ops: string[] = [];
  let y = PAGE_HEIGHT - MARGIN;
  for (const line of lines) {
    y -= line.before + line.size * 1.3;
    const x = line.align === 'right' ? PAGE_WIDTH - MARGIN - textWidth(line.text, line.font, line.size) : MARGIN;
    ops.push(`BT /${line.font === 'bold' ? 'F2' : 'F1'} ${line.size} Tf ${x.toFixed(2)} ${y.toFixed(2)} Td ${pdfString(line.text)} Tj ET`);
  }
  // A rule under the letterhead, as on the centres' printed reports.
  ops.unshift(`0.6 w ${MARGIN} ${(PAGE_HEIGHT - MARGIN - 56).toFixed(2)} m ${PAGE_WIDTH - MARGIN} ${(PAGE_HEIGHT - MARGIN - 56).toFixed(2)} l S`);
  ops.push(`BT /F1 8 Tf ${MARGIN} ${FOOTER_Y} Td ${pdfString(footer)} Tj ET`);
  return `${ops.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// File structure

/** Renders the report as a complete PDF 1.4 file. */
export function renderPdfReport(c: PdfReportContent): Buffer {
  const pages = paginate(reportLines(c));
  // Object numbers: 1 catalog, 2 page tree, 3–4 fonts, 5 info, then a page and its content each.
  const objects: string[] = [];
  const pageRefs = pages.map((_, i) => `${6 + 2 * i} 0 R`);
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${pageRefs.join(' ')}] /Count ${pages.length} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
  objects.push(
    `<< /Title ${pdfTextString(`Compte rendu — ${c.title}`)} /Author ${pdfTextString(c.signedBy.name)} ` +
      `/Subject ${pdfTextString(c.patient.displayName)} /Creator ${pdfTextString(c.facility.name)} ` +
      `/Producer (e-mage demo generator) /CreationDate (${pdfDate(c.examDate)}) >>`,
  );
  pages.forEach((lines, i) => {
    const footer = `${c.facility.name} — ${c.patient.displayName} — ${c.title} — page ${i + 1}/${pages.length}`;
    const content = pageContent(lines, footer);
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
        `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${7 + 2 * i} 0 R >>`,
    );
    objects.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`);
  });

  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0]?.length ?? 0;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    chunks.push(chunk);
    offset += chunk.length;
  });
  const id = createHash('md5').update(Buffer.concat(chunks)).digest('hex').toUpperCase();
  // Each xref entry is exactly 20 bytes, its end-of-line being CR LF.
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f\r',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r`),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R /ID [<${id}> <${id}>] >>`,
    'startxref',
    String(offset),
    '%%EOF',
  ].join('\n');
  chunks.push(Buffer.from(`${xref}\n`, 'latin1'));
  return Buffer.concat(chunks);
}
