/**
 * The built server started inside the bench's own process (so the bench can listen to its SQL
 * through knex's `query` event) on a free port, against `databaseUrl`: production mode, no demo
 * seed, no mail sent (the outbox worker is off), rate limits scaled out of the way, a 60-minute
 * idle timeout. Shared by the portal and stats benches.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './large-dataset.mjs';

/** `distDir`: the built server (default server/dist). */
export async function startInProcessServer(databaseUrl, distDir = path.join(repoRoot, 'server', 'dist')) {
  const dist = (p) => path.join(distDir, p);
  const { loadConfig } = await import(dist('config.js'));
  const { startServer } = await import(dist('bootstrap.js'));
  const { createLogger } = await import(dist('infra/logger.js'));
  const { freePort } = await import(dist('infra/db/embedded-postgres.js'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Production wants an https PUBLIC_URL (only links and cookie flags use it: the bench talks to
  // `url`), a proxy count, and a storage directory that exists (docs/adr/0093).
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'emage-bench-storage-'));
  const config = loadConfig({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: 'https://bench.e-mage.test', TRUST_PROXY: '0', STORAGE_DIR: storageDir, DATABASE_URL: databaseUrl, SEED_DEMO: 'false', LOG_LEVEL: 'warn', SMTP_URL: 'smtp://127.0.0.1:9', SMTP_ALLOW_PLAINTEXT: 'true', SESSION_IDLE_MINUTES: '60', RATE_LIMIT_SCALE: '1000' });
  const started = await startServer(config, { logger: createLogger('warn'), outbox: { start: false } });
  const knex = started.services.deps.orm.em.getConnection().getKnex();
  return { url, config, started, knex };
}
