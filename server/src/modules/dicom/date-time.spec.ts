import { describe, expect, it } from 'vitest';
import { dicomDateTimeIso, readDicomDate, readDicomTime } from './date-time.js';

describe('DICOM dates and times', () => {
  it('reads PS3.5 and ACR-NEMA dates alike', () => {
    expect(readDicomDate('19940130')).toBe('19940130');
    expect(readDicomDate('1994.01.30')).toBe('19940130');
    expect(readDicomDate('19940130 ')).toBe('19940130');
  });

  it('leaves unreadable and impossible dates out rather than inventing one', () => {
    for (const raw of [undefined, '', '1994-01-30', '19940230', '1994.13.01', 'yesterday', '940130']) expect(readDicomDate(raw)).toBeUndefined();
    expect(dicomDateTimeIso('1994.02.30', '10:20:30')).toBeUndefined();
  });

  it('reads times with or without colons, at any precision', () => {
    expect(readDicomTime('102030')).toBe('102030');
    expect(readDicomTime('10:20:30')).toBe('102030');
    expect(readDicomTime('10:20:30.123')).toBe('102030.123');
    expect(readDicomTime('1020')).toBe('1020');
    expect(readDicomTime('10')).toBe('10');
    expect(readDicomTime('25:00')).toBeUndefined();
    expect(readDicomTime('10h20')).toBeUndefined();
  });

  it('makes an ISO date-time of both, the time optional', () => {
    expect(dicomDateTimeIso('1994.01.30', '10:20:30')).toBe('1994-01-30T10:20:30.000Z');
    expect(dicomDateTimeIso('19940130', '1020')).toBe('1994-01-30T10:20:00.000Z');
    expect(dicomDateTimeIso('19940130', undefined)).toBe('1994-01-30T00:00:00.000Z');
  });
});
