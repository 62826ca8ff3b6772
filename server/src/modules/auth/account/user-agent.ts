/**
 * A short name for the device behind a session, from its User-Agent: the browser and the system,
 * enough for a person to recognise « Firefox · Windows » as their office computer. Names are
 * products, not translated. Anything unrecognised reads as what it is.
 */
export function deviceOf(userAgent: string | null | undefined): string {
  if (!userAgent) return '?';
  const ua = userAgent;
  const browser =
    /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) && /Version\//.test(ua) ? 'Safari'
    : null;
  const system =
    /Windows/.test(ua) ? 'Windows'
    : /iPhone|iPad|iPod/.test(ua) ? 'iOS'
    : /Android/.test(ua) ? 'Android'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS'
    : /Linux/.test(ua) ? 'Linux'
    : null;
  if (!browser && !system) return ua.slice(0, 60);
  return [browser, system].filter(Boolean).join(' · ');
}
