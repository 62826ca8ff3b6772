/**
 * Label values for request metrics. Raw paths never become labels: they hold UIDs, share tokens
 * and document ids (patient data and secrets in a system the operator may not protect as well),
 * and one series per path would grow without end. Each function maps to a small fixed set.
 */

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function methodLabel(method: string | undefined): string {
  return method && METHODS.has(method) ? method : 'OTHER';
}

export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

const SURFACES: ReadonlyArray<[RegExp, string]> = [
  [/^\/graphql(\/|$)/, 'graphql'],
  [/^\/dicomweb(\/|$)/, 'dicomweb'],
  [/^\/(healthz|readyz)$/, 'health'],
  [/^\/api\/session$/, 'api_session'],
  [/^\/api\/config$/, 'api_config'],
  [/^\/api\/documents\//, 'document'],
  [/^\/api\/share\//, 'share_api'],
  [/^\/s\//, 'share_link'],
  [/^\/share-app(\/|$)/, 'share_app'],
  [/^\/dev\//, 'dev'],
  [/^\/(assets|viewer|playground)\//, 'static'],
];

/** The surface a request reached: one of a dozen names, `other` (the shell's pages) otherwise. */
export function httpRouteLabel(path: string): string {
  const p = path.split('?')[0] ?? '';
  for (const [re, label] of SURFACES) if (re.test(p)) return label;
  return 'other';
}

const DICOMWEB_ROUTES: ReadonlyArray<[RegExp, string]> = [
  [/^\/wado$/, 'wado_uri'],
  [/\/frames\/[^/]+\/(rendered|thumbnail)$/, 'frames_$1'],
  [/\/(rendered|thumbnail)$/, '$1'],
  [/\/frames\/[^/]+$/, 'frames'],
  [/\/bulkdata\//, 'bulkdata'],
  [/\/metadata$/, 'metadata'],
  [/^(\/studies\/[^/]+)?(\/series\/[^/]+)?\/(studies|series|instances)$/, 'search'],
  [/^\/studies\/[^/]+(\/series\/[^/]+(\/instances\/[^/]+)?)?$/, 'retrieve'],
];

/**
 * The DICOMweb route of a path under /dicomweb (PS3.18's resources: search, retrieve,
 * metadata, frames, bulkdata, rendered, thumbnail, WADO-URI; STOW for POSTs).
 */
export function dicomwebRouteLabel(method: string, pathUnderRoot: string): string {
  const p = (pathUnderRoot.split('?')[0] ?? '').replace(/\/+$/, '');
  if (method === 'POST' && /^\/studies(\/[^/]+)?$/.test(p)) return 'stow';
  for (const [re, label] of DICOMWEB_ROUTES) {
    const m = re.exec(p);
    if (m) return label.replace('$1', m[1] ?? '');
  }
  return 'other';
}

/** Operation names kept as labels; beyond them, every new name is counted under `other`. */
export const MAX_OPERATION_LABELS = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * GraphQL operation names as labels, bounded: the first MAX_OPERATION_LABELS well-formed names
 * of operations that passed validation keep their own series (the clients' operations, named
 * in their code, come first and stay few); later ones share `other`, so a client inventing
 * names cannot grow the scrape without end. Unnamed operations are `anonymous`; requests
 * refused before their operation was known are `invalid`.
 */
export class OperationLabels {
  private readonly known = new Set<string>();
  constructor(private readonly max = MAX_OPERATION_LABELS) {}

  label(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.known.has(name)) return name;
    if (!OPERATION_NAME.test(name) || this.known.size >= this.max) return 'other';
    this.known.add(name);
    return name;
  }
}
