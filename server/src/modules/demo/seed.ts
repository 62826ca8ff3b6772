import type { AppDeps } from '../../app-deps.js';
import { rppsWithCheckDigit } from '../../common/identifiers.js';
import { forkEm } from '../../bootstrap.js';
import { createUser } from '../auth/auth.service.js';
import { Role, User } from '../auth/user.entity.js';

export interface DemoAccount {
  role: Role;
  email: string;
  password: string;
  name: string;
}

/** Demo credentials, printed at start-up on a demo install. Never created when SEED_DEMO=false. */
export const DEMO_PASSWORD = 'Demo-e-mage-2026';

export const demoAccounts = (): Array<DemoAccount & { firstName: string; lastName: string; rpps: string | null }> => [
  { role: Role.PHYSICIAN, email: 'claire.martin@demo.e-mage.fr', password: DEMO_PASSWORD, name: 'Dr Claire Martin', firstName: 'Claire', lastName: 'Martin', rpps: rppsWithCheckDigit('1000000001') },
  { role: Role.PHYSICIAN, email: 'paul.lambert@demo.e-mage.fr', password: DEMO_PASSWORD, name: 'Dr Paul Lambert', firstName: 'Paul', lastName: 'Lambert', rpps: rppsWithCheckDigit('1000000002') },
  { role: Role.ANALYST, email: 'analyste@demo.e-mage.fr', password: DEMO_PASSWORD, name: 'Analyste ARS', firstName: 'Analyste', lastName: 'ARS', rpps: null },
  { role: Role.ADMIN, email: 'admin@demo.e-mage.fr', password: DEMO_PASSWORD, name: 'Administrateur', firstName: 'Admin', lastName: 'e-mage', rpps: null },
];

/** Creates the demo accounts on an empty database. Returns them when it did, [] otherwise. */
export async function seedDemoAccounts(deps: AppDeps): Promise<DemoAccount[]> {
  const em = forkEm(deps);
  if ((await em.count(User, {})) > 0) return [];
  const out: DemoAccount[] = [];
  for (const a of demoAccounts()) {
    await createUser(em, deps.config, { email: a.email, role: a.role, firstName: a.firstName, lastName: a.lastName, rpps: a.rpps, password: a.password });
    out.push({ role: a.role, email: a.email, password: a.password, name: a.name });
  }
  return out;
}
