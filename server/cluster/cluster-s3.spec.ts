import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type Replica } from '../../bench/lib/cluster.mjs';
import { luhnCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, type FreshDatabase } from '../resilience/support/built-server.js';
import { publishNewExam } from '../resilience/support/db-faults.js';
import { createFacilityKey, createUser, gql, login } from '../resilience/support/portal.js';
import { startS3Double, type S3Double } from '../test/storage/s3rver.js';
import { openTab } from './support/live.js';

/**
 * The same two replicas behind HAProxy with their files in an S3-compatible bucket (s3rver, as the
 * storage tests use) instead of a shared directory: what one replica stored, the other serves.
 */
describe('two replicas behind HAProxy, files in an S3 bucket', () => {
  let db: FreshDatabase;
  let s3: S3Double;
  let cluster: Cluster;
  let sql: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase();
    s3 = await startS3Double('emage-cluster');
    cluster = await startCluster({ databaseUrl: db.url, env: { RATE_LIMIT_SCALE: '100', STORAGE_URL: `s3://${s3.bucket}/portal`, ...s3.env } });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await cluster?.stop();
    await s3?.stop();
    await db?.drop();
  });

  it('an exam stored and published through B reaches a socket on A, and A serves its metadata and frame from the bucket', async () => {
    const [a, b] = cluster.replicas as [Replica, Replica];
    const rpps = '1009900077';
    await createUser(db.url, { email: 'cluster-s3@e-mage.test', role: 'PHYSICIAN', rpps: rpps + luhnCheckDigit(rpps), password: 'Cluster-e-mage-2026' });
    const cookie = await login(cluster.url, 'cluster-s3@e-mage.test', 'Cluster-e-mage-2026');
    const key = await createFacilityKey(db.url);
    await publishNewExam(b.url, key, rpps + luhnCheckDigit(rpps));
    // The cursor of the physician's first notification: the tab resumes after it, so the next one
    // reaches it however long its subscription takes to start.
    const list = await gql<{ notifications: { edges: Array<{ cursor: string }> } }>(cluster.url, `{ notifications(first: 1) { edges { cursor } } }`, undefined, cookie);
    const cursor = list.body.data!.notifications.edges[0]!.cursor;

    let tab = openTab(cluster.url, cookie, cursor);
    for (let i = 0; i < 6; i++) {
      await tab.connected();
      if (tab.replicas[0] === a.name) break;
      await tab.close();
      tab = openTab(cluster.url, cookie, cursor);
    }
    expect(tab.replicas[0]).toBe(a.name);
    const examId = await publishNewExam(b.url, key, rpps + luhnCheckDigit(rpps));
    const { rows } = await sql.query<{ id: string; uid: string }>(`select n.id, e.study_instance_uid as uid from notification n join exam e on e.id = n.exam_id where e.id = $1`, [examId]);
    await tab.receive([rows[0]!.id]);
    await tab.close();

    const metadata = await fetch(`${a.url}/dicomweb/studies/${rows[0]!.uid}/metadata`, { headers: { cookie, accept: 'application/dicom+json' } });
    expect(metadata.status).toBe(200);
    const [instance] = (await metadata.json()) as Array<Record<string, { Value: string[] }>>;
    const frame = await fetch(`${a.url}/dicomweb/studies/${rows[0]!.uid}/series/${instance!['0020000E']!.Value[0]}/instances/${instance!['00080018']!.Value[0]}/frames/1`, {
      headers: { cookie, accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' },
    });
    expect(frame.status).toBe(200);
    // The tiny study's one frame: 2 × 2 pixels of 16 bits, inside its multipart envelope.
    expect(Buffer.from(await frame.arrayBuffer()).includes(Buffer.from(new Uint16Array([0, 100, 200, 300]).buffer))).toBe(true);
  });
});
