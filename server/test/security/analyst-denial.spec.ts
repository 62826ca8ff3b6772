import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { ANALYST_OPERATIONS } from './analyst-operations.js';
import { openSocket } from './ws.js';
import { PUBLIC_OPERATIONS, allOperations, committedSchema } from './operations.js';

/*
 * An analyst sees aggregates and nothing else. Generated from the committed schema.graphql, so
 * an operation added later is refused to analysts unless someone adds it to the allow-list
 * (analyst-operations.ts), in a diff a reviewer reads.
 *
 * The rule, strict: every root field outside the allow-list answers the analyst an error with
 * extensions.code FORBIDDEN and no data for that field — never an empty list, a zero or a null
 * that would look like an answer. (Physician-facing `patient(id)`/`exam(id)`/`document(id)`
 * answer null for "absent or not yours" to physicians; an analyst is not a physician and is
 * told so.)
 */

const schema = committedSchema();
const operations = allOperations(schema);
const refused = operations.filter((op) => op.kind !== 'subscription' && !PUBLIC_OPERATIONS.has(op.name) && !ANALYST_OPERATIONS.has(op.name));
const subscriptions = operations.filter((op) => op.kind === 'subscription');

describe('analyst denial matrix generated from schema.graphql', () => {
  let t: TestServer;
  let analyst: GqlClient;
  beforeAll(async () => {
    t = await startTestServer();
    analyst = (await t.login(Role.ANALYST)).client;
  });
  afterAll(() => t?.stop());

  it('the allow-list names operations that exist, and leaves something to refuse', () => {
    const names = new Set(operations.map((op) => op.name));
    for (const name of ANALYST_OPERATIONS) expect(names, name).toContain(name);
    expect(refused.length).toBeGreaterThan(5);
  });

  it.each(refused.map((op) => [op.name, op] as const))('%s answers FORBIDDEN to an analyst', async (_name, op) => {
    const r = await analyst.query(op.document, op.variables);
    expect(errorCode(r), JSON.stringify(r)).toBe('FORBIDDEN');
    expect(r.data?.[op.field.name] ?? null).toBeNull();
  });

  it.each(subscriptions.map((op) => [op.name, op] as const))('subscription %s gives an analyst no event, only an error', async (_name, op) => {
    const socket = openSocket(t.url, analyst.cookieHeader());
    const outcome = await new Promise<{ event?: unknown; error?: unknown }>((resolve) => {
      socket.client.subscribe({ query: op.document, variables: op.variables }, {
        next: (event) => resolve(event.errors ? { error: event.errors } : { event }),
        error: (error) => resolve({ error }),
        complete: () => resolve({}),
      });
    });
    await socket.client.dispose();
    expect(outcome.event).toBeUndefined();
    expect(JSON.stringify(outcome.error)).toMatch(/FORBIDDEN|not allowed/);
  });

  it('the analyst operations do answer', async () => {
    const r = await analyst.query(`{ stats { from examsPublished { period } } me { role } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data?.me).toEqual({ role: 'ANALYST' });
  });

  it.each([
    ['QIDO-RS studies', 'GET', '/dicomweb/studies'],
    ['QIDO-RS series', 'GET', '/dicomweb/studies/1.2.3/series'],
    ['QIDO-RS instances', 'GET', '/dicomweb/studies/1.2.3/series/1.2.3.4/instances'],
    ['WADO-RS metadata', 'GET', '/dicomweb/studies/1.2.3/series/1.2.3.4/metadata'],
    ['WADO-RS instance', 'GET', '/dicomweb/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5'],
    ['WADO-RS frame', 'GET', '/dicomweb/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5/frames/1'],
    ['WADO-URI', 'GET', '/dicomweb/wado?requestType=WADO&studyUID=1.2.3&seriesUID=1.2.3.4&objectUID=1.2.3.4.5'],
    ['STOW-RS', 'POST', '/dicomweb/studies'],
  ])('DICOMweb %s is refused to an analyst (403)', async (_label, method, path) => {
    const res = await analyst.fetch(path, method === 'POST'
      ? { method, headers: { 'content-type': 'multipart/related; type="application/dicom"; boundary=x' }, body: '--x--\r\n' }
      : { method, headers: { accept: 'application/dicom+json' } });
    expect(res.status).toBe(403);
  });
});
