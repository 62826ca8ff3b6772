import type { Express } from 'express';
import type { AppDeps } from '../../app-deps.js';
import { devMailboxModule } from '../mail/mailbox.routes.js';
import { documentRoutesModule } from '../../modules/exam/document.routes.js';
import { dicomwebModule } from '../../modules/dicomweb/dicomweb.routes.js';
import { shareRoutesModule } from '../../modules/share/share.routes.js';
import { sessionStatusModule } from '../../modules/auth/session.routes.js';
import { pscRoutesModule } from '../../modules/auth/oidc/psc.routes.js';

/** A non-GraphQL HTTP surface (DICOMweb, share links, dev mailbox) mounted by app.ts. */
export interface HttpModule {
  name: string;
  register(app: Express, deps: AppDeps): void;
}

export const httpModules: HttpModule[] = [devMailboxModule, documentRoutesModule, dicomwebModule, shareRoutesModule, sessionStatusModule, pscRoutesModule];
