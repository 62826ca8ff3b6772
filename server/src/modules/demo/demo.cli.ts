import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { AppDeps } from '../../app-deps.js';
import { createApp } from '../../app.js';
import type { CliCommand } from '../../cli-commands.js';
import { isValidRpps } from '../../common/identifiers.js';
import { loadConfig } from '../../config.js';
import { ingest, parseMapping, reportTable, type IdentityMapping } from './ingest.js';
import { seedDemoExams } from './seed.js';

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The portal that receives the demo exams: `--server`, else the one at PUBLIC_URL when it runs,
 * else one started inside this command on a loopback port (the seed still goes over HTTP).
 */
async function withPortal<T>(deps: AppDeps, explicit: string | undefined, fn: (url: string) => Promise<T>): Promise<T> {
  if (explicit) return fn(explicit);
  if (await answers(deps.config.publicUrl)) return fn(deps.config.publicUrl);
  const app = await createApp({ ...deps, config: { ...deps.config, host: '127.0.0.1', port: 0 } });
  try {
    const addr = app.server.address();
    return await fn(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  } finally {
    await app.close();
  }
}

export const demoSeedCommand: CliCommand = {
  name: 'demo',
  sub: 'seed',
  usage: 'demo seed [--server URL]                  demo accounts, facilities and exams, published over STOW-RS + publishExam',
  async run(args, { withServices }) {
    const { values } = parseArgs({ args, options: { server: { type: 'string' } } });
    await withServices(async ({ deps }) => {
      await withPortal(deps, values.server, async (url) => {
        const r = await seedDemoExams(deps, url);
        process.stdout.write(
          r.published
            ? `Demo data published to ${url}: ${r.published} exam(s), ${r.instancesStored} instance(s), ${r.megabytes} MB in ${(r.ms / 1000).toFixed(1)} s.\n`
            : `Demo data already present (${r.skipped} exams): nothing to do.\n`,
        );
      });
    });
  },
};

export const ingestCommand: CliCommand = {
  name: 'ingest',
  usage:
    'ingest <files or folders> --facility-key K --prescriber RPPS [--correspondent RPPS]… [--server URL] [--title T] [--date D]\n' +
    '       [--accession A] [--patient-id ID] [--last-name N] [--first-name N] [--birth-date YYYY-MM-DD] [--sex F|M|O]\n' +
    '       [--mapping FILE.csv|FILE.json] [--store-anyway]\n' +
    '                                            publishes DICOM files, one exam per study, as an imaging centre would;\n' +
    '                                            a study that cannot be published is not stored (unless --store-anyway);\n' +
    '                                            prints one line per study and exits 1 unless every study was published',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'facility-key': { type: 'string' },
        prescriber: { type: 'string' },
        correspondent: { type: 'string', multiple: true },
        server: { type: 'string' },
        title: { type: 'string' },
        accession: { type: 'string' },
        date: { type: 'string' },
        'patient-id': { type: 'string' },
        'last-name': { type: 'string' },
        'first-name': { type: 'string' },
        'birth-date': { type: 'string' },
        sex: { type: 'string' },
        mapping: { type: 'string' },
        'store-anyway': { type: 'boolean' },
      },
    });
    const problems: string[] = [];
    if (positionals.length === 0) problems.push('give at least one file or folder');
    if (!values['facility-key']) problems.push('--facility-key is required (see `facility create` or `facility add-key`)');
    if (!values.prescriber || !isValidRpps(values.prescriber)) problems.push('--prescriber must be an RPPS number (11 digits with its check digit)');
    for (const c of values.correspondent ?? []) if (!isValidRpps(c)) problems.push(`--correspondent ${c} is not an RPPS number`);
    if (values.date && Number.isNaN(Date.parse(values.date))) problems.push('--date must be an ISO date (2025-11-20 or 2025-11-20T09:30:00Z)');
    if (values['birth-date'] && !/^\d{4}-\d{2}-\d{2}$/.test(values['birth-date'])) problems.push('--birth-date must be YYYY-MM-DD');
    if (values.sex && !['F', 'M', 'O'].includes(values.sex.toUpperCase())) problems.push('--sex must be F, M or O');
    let mapping: IdentityMapping | undefined;
    if (values.mapping) {
      try {
        mapping = parseMapping(await readFile(values.mapping, 'utf8'), values.mapping);
      } catch (err) {
        problems.push(`--mapping ${values.mapping}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (problems.length) throw new Error(`ingest: ${problems.join('; ')}`);
    const report = await ingest(positionals, {
      serverUrl: values.server ?? loadConfig().publicUrl,
      facilityKey: values['facility-key'] as string,
      prescriberRpps: values.prescriber as string,
      correspondentRpps: values.correspondent ?? [],
      title: values.title,
      date: values.date,
      identity: {
        ipp: values['patient-id'],
        lastName: values['last-name'],
        firstName: values['first-name'],
        birthDate: values['birth-date'],
        sex: values.sex?.toUpperCase(),
        accessionNumber: values.accession,
      },
      mapping,
      storeAnyway: values['store-anyway'] ?? false,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${reportTable(report)}\n`);
    if (!report.ok) process.exitCode = 1;
  },
};
