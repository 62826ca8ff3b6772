import pg from 'pg';
import { FacilityClient } from '../../src/modules/demo/facility-client.js';
import { el, newUid, tag, writePart10 } from '../../src/modules/demo/generator/dicom-writer.js';
import { pgAdminUrl } from './built-server.js';

/** What the database faults need: the server's backends, found and terminated as an operator would. */

/** The LISTEN connection's name (server/src/infra/pubsub/pg-pubsub.ts). */
export const LISTEN_APPLICATION_NAME = 'e-mage-listen';
/** The pool's connections' name (server/src/infra/db/orm.ts). */
export const POOL_APPLICATION_NAME = 'e-mage';

export interface Backend {
  pid: number;
  applicationName: string;
  state: string | null;
}

export class DatabaseAdmin {
  private constructor(private readonly client: pg.Client) {}

  static async connect(): Promise<DatabaseAdmin> {
    const client = new pg.Client({ connectionString: pgAdminUrl });
    await client.connect();
    return new DatabaseAdmin(client);
  }

  async backends(database: string, applicationName: string): Promise<Backend[]> {
    const r = await this.client.query<Backend>(
      `select pid, application_name as "applicationName", state from pg_stat_activity where datname = $1 and application_name = $2`,
      [database, applicationName],
    );
    return r.rows;
  }

  /**
   * Terminates the given backends. The pids are found first, by a separate statement: in one
   * statement the planner may call pg_terminate_backend before the filters, on every backend.
   */
  async terminate(backends: Backend[]): Promise<number> {
    let done = 0;
    for (const b of backends) {
      const r = await this.client.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [b.pid]);
      if (r.rows[0]?.ok) done++;
    }
    return done;
  }

  end(): Promise<void> {
    return this.client.end();
  }
}

/** A one-image CT study, as small as a valid instance gets, under a new Study Instance UID. */
function tinyStudy(): { studyInstanceUid: string; file: Buffer } {
  const studyInstanceUid = newUid();
  const file = writePart10([
    el(tag(0x0008, 0x0016), 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    el(tag(0x0008, 0x0018), 'UI', newUid()),
    el(tag(0x0008, 0x0020), 'DA', '20251120'),
    el(tag(0x0008, 0x0060), 'CS', 'CT'),
    el(tag(0x0010, 0x0010), 'PN', 'RESILIENCE^TEST'),
    el(tag(0x0010, 0x0020), 'LO', 'RES-0001'),
    el(tag(0x0020, 0x000d), 'UI', studyInstanceUid),
    el(tag(0x0020, 0x000e), 'UI', newUid()),
    el(tag(0x0020, 0x0013), 'IS', '1'),
    el(tag(0x0028, 0x0002), 'US', 1),
    el(tag(0x0028, 0x0004), 'CS', 'MONOCHROME2'),
    el(tag(0x0028, 0x0010), 'US', 2),
    el(tag(0x0028, 0x0011), 'US', 2),
    el(tag(0x0028, 0x0100), 'US', 16),
    el(tag(0x0028, 0x0101), 'US', 12),
    el(tag(0x0028, 0x0102), 'US', 11),
    el(tag(0x0028, 0x0103), 'US', 0),
    el(tag(0x7fe0, 0x0010), 'OW', new Uint16Array([0, 100, 200, 300])),
  ]);
  return { studyInstanceUid, file };
}

let accession = 0;

/** What an imaging centre does: STOW-RS a study, then publishExam for a prescriber. Returns the exam's id. */
export async function publishNewExam(serverUrl: string, apiKey: string, prescriberRpps: string): Promise<string> {
  const centre = new FacilityClient(serverUrl, apiKey);
  const { studyInstanceUid, file } = tinyStudy();
  const stored = await centre.stow([file]);
  if (stored.failed.length || stored.stored.length !== 1) throw new Error(`STOW-RS stored ${stored.stored.length}, failed ${stored.failed.length}`);
  accession++;
  const date = '2025-11-20T09:30:00.000Z';
  const exam = await centre.publishExam({
    patient: { ipp: `RES${String(accession).padStart(5, '0')}`, lastName: 'Résilience', firstName: 'Test', birthName: 'Résilience', birthDate: '1970-01-01', sex: 'F', addressLine: '1 rue du Test', postalCode: '54000', city: 'Nancy', phone: '03 83 00 00 00' },
    accessionNumber: `RES-${process.pid}-${accession}`,
    studyInstanceUid,
    title: 'SCANNER DE RÉSILIENCE',
    date,
    modalities: ['CT'],
    prescriberRpps,
    documents: [{ type: 'IMAGING', title: 'SCANNER DE RÉSILIENCE - (IMAGES)', date, studyInstanceUid }],
  });
  return exam.id;
}
