/**
 * A large, realistic portal dataset built inside PostgreSQL (INSERT … SELECT over
 * generate_series: no row crosses the network), for benchmarks. Reused by other benches:
 *
 *   import { buildLargeDataset } from './lib/large-dataset.mjs';
 *   const info = await buildLargeDataset(process.env.DATABASE_URL, { patients: 200_000, exams: 1_000_000, physicians: 5_000, bigPhysicianPatients: 2_000 });
 *
 * Needs the built server (server/dist): it applies the migrations first. Idempotent and cached
 * per database: a marker row records the parameters, and a second call with the same parameters
 * returns at once. Everything is written in one transaction, so an interrupted build leaves
 * nothing behind. The database should hold nothing else (a dedicated bench database).
 *
 * The world: `facilities` imaging centres; `physicians` users (ids and RPPS derived from their
 * number); patients with French names (accents, hyphens, birth names), one administrative record
 * each (a second one for one patient in ten); exams spread over the last 5 years, each with a
 * prescriber and, for half, a correspondent; one report and one imaging document per exam; 80 %
 * of the access rows already opened. Physician 1 (the "big physician", BIG_PHYSICIAN below) is the
 * correspondent of every exam of patients 1..bigPhysicianPatients, plus the prescriber of some.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
const dist = (p) => path.join(repoRoot, 'server', 'dist', p);

export const BIG_PHYSICIAN = { email: 'big.physician@bench.e-mage.fr', password: 'Bench-portal-2026!' };

const FIRST_F = ['Hélène', 'Zoé', 'Anaïs', 'Gaëlle', 'Léa', 'Chloé', 'Cécile', 'Agnès', 'Joëlle', 'Renée', 'Céline', 'Inès', 'Béatrice', 'Élodie', 'Marie', 'Sophie', 'Camille', 'Manon', 'Claire', 'Juliette', 'Mélanie', 'Nathalie', 'Isabelle', 'Valérie', 'Françoise', 'Émilie', 'Laëtitia', 'Noémie', 'Maëlys', 'Océane'];
const FIRST_M = ['Jérôme', 'François', 'Noël', 'Maël', 'Frédéric', 'Loïc', 'Timothée', 'Aurélien', 'Mathéo', 'Clément', 'Théo', 'Jean', 'Pierre', 'Louis', 'Hugo', 'Lucas', 'Nicolas', 'Stéphane', 'Benoît', 'Raphaël', 'Gaël', 'Jérémy', 'Sébastien', 'André', 'René', 'Joël', 'Hervé', 'Cédric', 'Grégoire', 'Étienne'];
const LAST = ['Dupont-Moreau', 'Lefèvre', 'Bérard', 'Gérard', 'Rémy', 'Féraud', 'Le Guével', "D'Aubigné", 'Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard', 'Durand', 'Dubois', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Lefebvre', 'Leroy', 'Roux', 'David', 'Bertrand', 'Morel', 'Fournier', 'Girard', 'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Vincent', 'Muller', 'Lecomte', 'Mercier', 'Boyer', 'Blanc', 'Guérin', 'Faure', 'André', 'Chevalier', 'François', 'Legrand', 'Gauthier', 'Garcia', 'Perrin', 'Robin', 'Clément', 'Morin', 'Nicolas', 'Henry', 'Roussel', 'Mathieu', 'Gautier', 'Masson', 'Marchand', 'Duval', 'Denis', 'Lemaire', 'Noël', 'Meyer', 'Dufour', 'Meunier', 'Brun', 'Blanchard', 'Giraud', 'Joly', 'Rivière', 'Lucas', 'Brunet', 'Gaillard', 'Barbier', 'Arnaud', 'Martínez', 'Gérault', 'Schmitt', 'Roy', 'Leclerc', 'Œhmichen', 'Ébrard', 'Lévêque', 'Besançon', 'Château', 'Prévost', 'Bénard-Lopez', 'Saint-Éloi', 'Lê', 'Ngô'];
const TITLES = ['ECHOGRAPHIE CERVICALE', 'SCANNER THORACIQUE', 'IRM CEREBRALE', 'RADIOGRAPHIE DU THORAX', 'MAMMOGRAPHIE BILATERALE', 'ECHOGRAPHIE ABDOMINALE', 'SCANNER ABDOMINO-PELVIEN', 'IRM DU GENOU DROIT', 'RADIOGRAPHIE DU BASSIN', 'DENSITOMETRIE OSSEUSE', 'ECHOGRAPHIE PELVIENNE', 'IRM LOMBAIRE'];
const MODALITIES = ['{US}', '{CT}', '{MR}', '{CR}', '{MG}', '{US}', '{CT}', '{MR}', '{DX}', '{DX}', '{US}', '{MR}'];

const MARKER_TABLE = 'bench_dataset';

/** The database's content signature for these parameters (a change rebuilds on an empty database only). */
function keyOf(opts) {
  return JSON.stringify({ v: 1, ...opts });
}

async function migrate(databaseUrl) {
  const { initOrm, migrate: up } = await import(dist('infra/db/orm.js'));
  const orm = await initOrm(databaseUrl, 2);
  try {
    await up(orm);
  } finally {
    await orm.close(true);
  }
}

export async function buildLargeDataset(databaseUrl, opts = {}) {
  const o = { patients: 200_000, exams: 1_000_000, physicians: 5_000, bigPhysicianPatients: 2_000, facilities: 20, ...opts };
  if (o.bigPhysicianPatients > o.patients || o.physicians < 2) throw new Error('buildLargeDataset: bigPhysicianPatients ≤ patients and physicians ≥ 2');
  await migrate(databaseUrl);
  const { searchNameOf } = await import(dist('modules/patient/patient-identity.service.js'));
  const { hashPassword } = await import(dist('modules/auth/password.js'));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const t0 = performance.now();
  try {
    await client.query(`create table if not exists ${MARKER_TABLE} (key text primary key, built_at timestamptz not null, seconds real not null)`);
    const key = keyOf(o);
    const done = await client.query(`select built_at, seconds from ${MARKER_TABLE} where key = $1`, [key]);
    if (done.rowCount) return { ...o, cached: true, builtAt: done.rows[0].built_at, seconds: done.rows[0].seconds, bigPhysician: await bigPhysicianOf(client) };
    const other = await client.query(`select count(*)::int n from ${MARKER_TABLE}`);
    if (other.rows[0].n > 0) throw new Error(`This database holds a dataset built with other parameters; use a fresh database (${MARKER_TABLE}).`);

    const fold = (s) => searchNameOf({ firstName: s, lastName: '' });
    const first = [...FIRST_F, ...FIRST_M];
    const sexes = [...FIRST_F.map(() => 'F'), ...FIRST_M.map(() => 'M')];
    const hash = await hashPassword(BIG_PHYSICIAN.password);
    // Each table is analysed right after its load: later steps join on it, and without
    // statistics the planner takes a 200,000-row table for an empty one (nested loops).
    const step = async (label, sql, params = []) => {
      const s = performance.now();
      const r = await client.query(sql, params);
      const table = /^\s*insert into (\w+)/i.exec(sql)?.[1];
      if (table) await client.query(`analyze ${table}`);
      process.stderr.write(`  ${label}: ${r.rowCount ?? 0} rows in ${((performance.now() - s) / 1000).toFixed(1)} s\n`);
    };

    await client.query('begin');
    await client.query(`set local synchronous_commit = off`);
    await step('facilities', `insert into facility (id, name, finess, created_at)
      select md5('f' || i)::uuid, 'Centre d''imagerie ' || i, '54' || lpad(i::text, 7, '0'), now() from generate_series(1, $1) i`, [o.facilities]);
    await step('physicians', `insert into app_user (id, role, email, rpps, first_name, last_name, password_hash, status, created_at, activated_at)
      select md5('u' || i)::uuid, 'PHYSICIAN', case when i = 1 then $2 else 'physician' || i || '@bench.e-mage.fr' end,
             '8' || lpad(i::text, 10, '0'), 'Prénom' || i, 'Médecin' || i, case when i = 1 then $3 else null end, 'ACTIVE', now(), now()
        from generate_series(1, $1) i`, [o.physicians, BIG_PHYSICIAN.email, hash]);
    // Patient i: first name, last name and (for a woman in five) a birth name picked by hashing i;
    // search_name holds their folded words like patient-identity.service's searchNameOf.
    await step('patients', `insert into patient (id, ins, last_name, first_name, birth_name, birth_date, sex, search_name, created_at, updated_at)
      select md5('p' || i)::uuid, null, ln[li], fn[fi], b.birth, date '1930-01-01' + (i * 37 % 29000), sx[fi],
             fnf[fi] || ' ' || lnf[li] || case when b.birth is null then '' else ' ' || lnf[bi] end, now(), now()
        from generate_series(1, $1) i,
             lateral (select $2::text[] fn, $3::text[] fnf, $4::text[] ln, $5::text[] lnf, $6::text[] sx) a,
             lateral (select 1 + (i * 13) % cardinality(a.fn) fi, 1 + (i * 7) % cardinality(a.ln) li, 1 + (i * 11) % cardinality(a.ln) bi) x,
             lateral (select case when sx[fi] = 'F' and i % 5 = 0 then ln[bi] end as birth) b`,
      [o.patients, first, first.map(fold), LAST, LAST.map(fold), sexes]);
    await step('administrative records', `insert into administrative_record (id, patient_id, facility_id, ipp, ins, last_name, first_name, birth_name, birth_date, sex, search_name, address_line, postal_code, city, phone, received_at)
      select md5('r' || p.n || '-' || k)::uuid, md5('p' || p.n)::uuid, md5('f' || (1 + (p.n + k) % $2))::uuid, 'IPP' || p.n || '-' || k, null,
             pt.last_name, pt.first_name, pt.birth_name, pt.birth_date, pt.sex, pt.search_name, (p.n % 120) || ' rue de la République', '54000', 'Nancy', '03 83 ' || lpad((p.n % 100)::text, 2, '0') || ' 00 00',
             now() - (p.n % 900) * interval '1 day'
        from generate_series(1, $1) p(n) join patient pt on pt.id = md5('p' || p.n)::uuid
        cross join lateral generate_series(0, case when p.n % 10 = 0 then 1 else 0 end) k`, [o.patients, o.facilities]);
    // Exam i belongs to patient 1 + (i - 1) % patients, so every patient has exams/patients of them.
    await step('exams', `insert into exam (id, patient_id, facility_id, accession_number, study_instance_uid, title, date, modalities, status, published_at, updated_at)
      select md5('e' || i)::uuid, md5('p' || (1 + (i - 1) % $2))::uuid, md5('f' || (1 + i % $3))::uuid, 'ACC' || i, '2.25.' || (1000000 + i),
             t[1 + (i * 5) % cardinality(t)], now() - ((i::bigint * 7919) % (5 * 365 * 24 * 60)) * interval '1 minute',
             m[1 + (i * 5) % cardinality(t)]::text[], 'PUBLISHED', now(), now()
        from generate_series(1, $1) i, lateral (select $4::text[] t, $5::text[] m) a`, [o.exams, o.patients, o.facilities, TITLES, MODALITIES]);
    await step('prescriber rights', `insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at, first_opened_at)
      select md5('ap' || i)::uuid, md5('e' || i)::uuid, md5('u' || ph)::uuid, '8' || lpad(ph::text, 10, '0'), 'PRESCRIBER', now(),
             case when i % 5 = 0 then null else now() end
        from generate_series(1, $1) i, lateral (select 2 + (i * 31) % ($2 - 1) as ph) x`, [o.exams, o.physicians]);
    await step('correspondent rights', `insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at, first_opened_at)
      select md5('ac' || i)::uuid, md5('e' || i)::uuid, md5('u' || ph)::uuid, '8' || lpad(ph::text, 10, '0'), 'CORRESPONDENT', now(),
             case when i % 5 = 1 then null else now() end
        from generate_series(1, $1) i,
             lateral (select 1 + (i - 1) % $3 as patient) p,
             lateral (select case when p.patient <= $4 then 1 else 2 + p.patient % ($2 - 1) end as ph) x
       where p.patient <= $4 or i % 2 = 0`, [o.exams, o.physicians, o.patients, o.bigPhysicianPatients]);
    await step('documents', `insert into document (id, exam_id, type, title, date, study_instance_uid, sop_instance_uid, created_at)
      select md5('d' || e.n || k)::uuid, md5('e' || e.n)::uuid, k, ex.title || case k when 'REPORT' then ' - (Compte-rendu)' else ' - (IMAGES)' end,
             ex.date, ex.study_instance_uid, case k when 'REPORT' then ex.study_instance_uid || '.9' end, now()
        from generate_series(1, $1) e(n) join exam ex on ex.id = md5('e' || e.n)::uuid cross join unnest(array['REPORT', 'IMAGING']) k`, [o.exams]);
    await client.query(`insert into ${MARKER_TABLE} (key, built_at, seconds) values ($1, now(), $2)`, [key, (performance.now() - t0) / 1000]);
    await client.query('commit');
    await step('analyze', 'analyze');
    return { ...o, cached: false, seconds: (performance.now() - t0) / 1000, bigPhysician: await bigPhysicianOf(client) };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

async function bigPhysicianOf(client) {
  const r = await client.query(`select id from app_user where email = $1`, [BIG_PHYSICIAN.email]);
  return { ...BIG_PHYSICIAN, id: r.rows[0]?.id };
}
