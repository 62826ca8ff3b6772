/** Types of orthanc.mjs, for the interoperability suite (server/interop/support/orthanc.ts). */

/** One DicomWeb.Servers entry of Orthanc's configuration (the plugin's own keys). */
export interface OrthancDicomwebServer {
  Url: string;
  HttpHeaders?: Record<string, string>;
  ChunkedTransfers?: boolean;
  HasDelete?: boolean;
}

export interface Orthanc {
  url: string;
  port: number;
  /** Orthanc's process id, for its CPU time in /proc. */
  pid: number;
  /** Orthanc's REST API: JSON in, JSON out; throws on a status >= 400. */
  rest<T = unknown>(method: string, pathname: string, body?: unknown): Promise<T>;
  raw(pathname: string): Promise<Buffer>;
  /** SIGTERM, then SIGKILL after a grace period; its directory removed. */
  stop(): Promise<void>;
}

export const ORTHANC: string;
export const DICOMWEB_PLUGIN: string;
export function startOrthanc(servers?: Record<string, OrthancDicomwebServer>): Promise<Orthanc>;
