import { describe, expect, it } from 'vitest';
import { cookieValue, parseCookies } from './cookies.js';

describe('cookieValue', () => {
  it('reads one cookie exactly as parseCookies does', () => {
    const headers = [
      undefined,
      '',
      'emage_session=abc',
      ' emage_session = abc ; emage_device=x',
      'emage_device=x; emage_session=first; emage_session=second',
      'emage_session=a%20b',
      'emage_session=%E0%A4%A',
      'emage_sessionX=no; xemage_session=no',
      'emage_session',
      'emage_session=; other=1',
      '=emage_session; emage_session=a=b',
    ];
    for (const header of headers) expect(cookieValue(header, 'emage_session'), String(header)).toBe(parseCookies(header)['emage_session']);
  });
});
