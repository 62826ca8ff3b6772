import { createRequire } from 'node:module';

/** dcmjs as the DICOM specs use it: a cross-check of our parser. It ships no types; the little used is typed here. */
export interface Dcmjs<Attribute> {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer, options?: object): { dict: Record<string, Attribute> } } };
}

interface DcmjsLog {
  setLevel(level: string): void;
  getLogger(name: string): { setLevel(level: string): void };
}

/**
 * dcmjs with its logging off. Its validation logger is created when the module loads and keeps
 * its own level, so silencing the root alone left 620,000 lines of "Invalid vr type" in the test
 * output of the corpus specs.
 */
export function quietDcmjs<Attribute>(): Dcmjs<Attribute> {
  const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs<Attribute> & { log: DcmjsLog };
  dcmjs.log.setLevel('silent');
  dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
  return dcmjs;
}
