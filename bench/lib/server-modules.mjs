// The built server's functions the DICOMweb benches call directly (to start its embedded
// PostgreSQL, make a facility, its key and a physician, and generate a CT), from server/dist.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function serverModules(distDir) {
  const load = (p) => import(pathToFileURL(path.join(distDir, p)).href);
  const [postgres, orm, facility, auth, config, identifiers, generator] = await Promise.all([
    load('infra/db/embedded-postgres.js'),
    load('infra/db/orm.js'),
    load('modules/facility/facility.service.js'),
    load('modules/auth/auth.service.js'),
    load('config.js'),
    load('common/identifiers.js'),
    load('modules/demo/generator/index.js'),
  ]);
  return {
    freePort: postgres.freePort,
    startEmbeddedPostgres: postgres.startEmbeddedPostgres,
    initOrm: orm.initOrm,
    createFacility: facility.createFacility,
    createApiKey: facility.createApiKey,
    createUser: auth.createUser,
    loadConfig: config.loadConfig,
    finessWithCheckDigit: identifiers.finessWithCheckDigit,
    generateCtSeries: generator.generateCtSeries,
    newUid: generator.newUid,
    writePart10: generator.writePart10,
  };
}
