import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface MailMessage {
  id: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  attachments: Array<{ filename: string | null; contentType: string; cid: string | null; contentBase64: string }>;
}

export interface PortalServer {
  url: string;
  dataDir: string;
  output(): string;
  /** Runs `npm run cli -- …` against this server's database. */
  cli(args: string[]): Promise<string>;
  mails(): Promise<MailMessage[]>;
  waitForMail(predicate: (m: MailMessage) => boolean, timeoutMs?: number): Promise<MailMessage>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * The product as `npm start` runs it (built server, embedded PostgreSQL, built-in SMTP catcher
 * and demo data), in a data directory of its own, on a free port.
 */
export async function startPortal(env: Record<string, string> = {}): Promise<PortalServer> {
  const port = await freePort();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-e2e-'));
  // PUBLIC_HOST=localhost for a spec that needs a host name: WebAuthn refuses an IP address as relying party.
  const url = `http://${env.PUBLIC_HOST ?? '127.0.0.1'}:${port}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'true',
    ...env,
  };
  // The e2e run must not inherit a server database meant for unit tests.
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'server', 'dist', 'main.js')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Portal did not start:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes('is ready at')) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Portal exited with ${code}:\n${out}`));
    });
  });

  const portal: PortalServer = {
    url,
    dataDir,
    output: () => out,
    async cli(args) {
      return new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [path.join(repoRoot, 'server', 'dist', 'cli.js'), ...args], {
          env: childEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let o = '';
        p.stdout.on('data', (d: Buffer) => (o += d.toString()));
        p.stderr.on('data', (d: Buffer) => (o += d.toString()));
        p.on('exit', (code) => (code === 0 ? resolve(o) : reject(new Error(`cli ${args.join(' ')} failed (${code}):\n${o}`))));
      });
    },
    async mails() {
      const res = await fetch(`${url}/dev/mailbox/messages`);
      return (await res.json()) as MailMessage[];
    },
    async waitForMail(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await portal.mails()).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('Expected e-mail did not arrive in /dev/mailbox');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return portal;
}

