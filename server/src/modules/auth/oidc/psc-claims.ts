import { isValidRpps } from '../../../common/identifiers.js';

/**
 * The RPPS number of the person Pro Santé Connect authenticated. PSC names a professional by
 * their national identifier (`SubjectNameID`, also in `preferred_username`): for an RPPS holder
 * "8" followed by the 11-digit RPPS number; some tenants send the RPPS number alone. An ADELI
 * identifier (prefix "0") or anything else names no RPPS: null.
 */
export function rppsOfClaims(...sources: Array<Record<string, unknown>>): string | null {
  for (const claims of sources) {
    for (const name of ['SubjectNameID', 'preferred_username']) {
      const value = claims[name];
      if (typeof value !== 'string') continue;
      const id = value.trim();
      const rpps = /^8\d{11}$/.test(id) ? id.slice(1) : id;
      if (/^\d{11}$/.test(rpps) && isValidRpps(rpps)) return rpps;
    }
  }
  return null;
}
