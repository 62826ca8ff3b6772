import { publishNewExam } from '../../resilience/support/db-faults.js';

/**
 * A physician's mixed load through the balancer, every request recorded (operation, outcome,
 * start and end): dashboard, record and notification reads over GraphQL, WADO-RS metadata and
 * frames, and an imaging centre publishing exams (STOW-RS then publishExam).
 */
export interface Outcome {
  op: string;
  ok: boolean;
  startedAt: number;
  endedAt: number;
  detail?: string;
}

const DASHBOARD = `query DashboardPatients { patients(first: 25) { edges { node { id displayName lastExamAt hasUnopened } } } }`;
const RECORD = `query PatientRecord($id: ID!) { patient(id: $id) { id displayName exams { id title date documents { id type title } } } }`;
const NOTIFICATIONS = `query BellNotifications { notifications(first: 10) { unreadCount edges { node { id kind } } } }`;

export class Load {
  private readonly outcomes: Outcome[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopping = false;
  private publishedCount = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly cookie: string,
  ) {}

  private async timed(op: string, request: () => Promise<string | undefined>): Promise<void> {
    const startedAt = performance.now();
    let detail: string | undefined;
    try {
      detail = await request();
    } catch (err) {
      detail = err instanceof Error ? err.message : String(err);
    }
    this.outcomes.push({ op, ok: detail === undefined, startedAt, endedAt: performance.now(), ...(detail === undefined ? {} : { detail }) });
  }

  private async graphql(query: string, variables?: object): Promise<string | undefined> {
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: this.cookie },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 200) return `${res.status} ${text.slice(0, 120)}`;
    const body = JSON.parse(text) as { errors?: unknown[] };
    return body.errors?.length ? JSON.stringify(body.errors).slice(0, 200) : undefined;
  }

  private async get(pathname: string, accept: string): Promise<string | undefined> {
    const res = await fetch(`${this.baseUrl}${pathname}`, { headers: { accept, cookie: this.cookie }, signal: AbortSignal.timeout(30_000) });
    const body = await res.arrayBuffer();
    if (res.status !== 200) return `${res.status} ${Buffer.from(body).toString('utf8').slice(0, 120)}`;
    return body.byteLength > 0 ? undefined : 'empty body';
  }

  private loop(step: (i: number) => Promise<void>): void {
    this.loops.push(
      (async () => {
        for (let i = 0; !this.stopping; i++) await step(i);
      })(),
    );
  }

  /** `concurrency` loops of GraphQL reads: the dashboard, the bell's list, and the record of `patientId` when given. */
  graphqlReads(concurrency: number, patientId?: string): void {
    const ops: Array<[string, () => Promise<string | undefined>]> = [
      ['dashboard', () => this.graphql(DASHBOARD)],
      ['notifications', () => this.graphql(NOTIFICATIONS)],
    ];
    if (patientId) ops.push(['record', () => this.graphql(RECORD, { id: patientId })]);
    for (let c = 0; c < concurrency; c++) {
      this.loop(async (i) => {
        const [op, request] = ops[(i + c) % ops.length]!;
        await this.timed(op, request);
      });
    }
  }

  /** `concurrency` loops of a study's WADO-RS metadata and its first instance's frame 1. */
  async dicomweb(studyUid: string, concurrency: number): Promise<void> {
    const res = await fetch(`${this.baseUrl}/dicomweb/studies/${studyUid}/metadata`, { headers: { accept: 'application/dicom+json', cookie: this.cookie } });
    if (!res.ok) throw new Error(`metadata ${res.status}`);
    const [instance] = (await res.json()) as Array<Record<string, { Value?: string[] }>>;
    const series = instance?.['0020000E']?.Value?.[0];
    const sop = instance?.['00080018']?.Value?.[0];
    if (!series || !sop) throw new Error('metadata without series or instance UID');
    const frame = `/dicomweb/studies/${studyUid}/series/${series}/instances/${sop}/frames/1`;
    for (let c = 0; c < concurrency; c++) {
      this.loop(async (i) => {
        if ((i + c) % 2 === 0) await this.timed('metadata', () => this.get(`/dicomweb/studies/${studyUid}/metadata`, 'application/dicom+json'));
        else await this.timed('frame', () => this.get(frame, 'multipart/related; type="application/octet-stream"; transfer-syntax=*'));
      });
    }
  }

  /** An imaging centre publishing one exam after another, for each prescriber in turn, until stop(). */
  publishing(apiKey: string, prescribers: string[], pauseMs = 0): Promise<void> {
    const run = (async () => {
      for (let i = 0; !this.stopping; i++) {
        await this.timed('publish', async () => {
          await publishNewExam(this.baseUrl, apiKey, prescribers[i % prescribers.length]!);
          this.publishedCount++;
          return undefined;
        });
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
    this.loops.push(run);
    return run;
  }

  published(): number {
    return this.publishedCount;
  }

  async untilPublished(n: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.publishedCount < n) {
      if (Date.now() > deadline) throw new Error(`${this.publishedCount} of ${n} exams published within ${timeoutMs} ms: ${JSON.stringify(this.failures().slice(0, 5))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  failures(): Outcome[] {
    return this.outcomes.filter((o) => !o.ok);
  }

  ok(): number {
    return this.outcomes.filter((o) => o.ok).length;
  }

  /** Answered requests per operation. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const o of this.outcomes) if (o.ok) counts[o.op] = (counts[o.op] ?? 0) + 1;
    return counts;
  }
}
