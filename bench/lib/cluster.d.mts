/** Types of cluster.mjs, for the cluster suite (server/cluster). */

export interface Replica {
  name: string;
  host: string;
  port: number;
  /** Its own address, bypassing HAProxy. */
  url: string;
  readonly pid: number | undefined;
  output(): string;
  start(): Promise<void>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | void>;
  kill9(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null } | void>;
}

export interface Cluster {
  /** HAProxy's frontend. */
  url: string;
  port: number;
  replicas: Replica[];
  work: string;
  storageDir: string;
  haproxyPid: number | undefined;
  haproxyOutput(): string;
  states(): Promise<Record<string, string>>;
  until(name: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const HAPROXY: string;
export const HAPROXY_CFG: string;
export function freePort(): Promise<number>;
export function clusterConfig(opts: { port: number; replicas: Array<{ name: string; host: string; port: number }>; statsSocket: string }): string;
export function startCluster(opts: { databaseUrl: string; count?: number; env?: Record<string, string>; log?: boolean }): Promise<Cluster>;
export function cpuSeconds(pid: number): number;
export function rssMb(pid: number): number;
