import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128000000Initial } from './Migration20261128000000Initial.js';
import { Migration20261128012000_DicomwebIndex } from './Migration20261128012000_DicomwebIndex.js';
import { Migration20261128017000_stats } from './Migration20261128017000_stats.js';
import { Migration20261128017001_stats_rebuild } from './Migration20261128017001_stats_rebuild.js';
import { Migration20261128016000_ShareGrant } from './Migration20261128016000_ShareGrant.js';
import { Migration20261128011000_AuthLinkScrub } from './Migration20261128011000_AuthLinkScrub.js';
import { Migration20261128014000_PortalAccessColumns } from './Migration20261128014000_PortalAccessColumns.js';
import { Migration20261128018000_AuditTargetIndex } from './Migration20261128018000_AuditTargetIndex.js';
import { Migration20261205163000_MailDelivery } from './Migration20261205163000_MailDelivery.js';
import { Migration20261205170000_RecordSearchName } from './Migration20261205170000_RecordSearchName.js';
import { Migration20261205160000_LoginThrottle } from './Migration20261205160000_LoginThrottle.js';
import { Migration20261205171000_DicomDates } from './Migration20261205171000_DicomDates.js';
import { Migration20261205194000_ProSanteConnect } from './Migration20261205194000_ProSanteConnect.js';
import { Migration20261205201500_OidcLoginReturn } from './Migration20261205201500_OidcLoginReturn.js';
import { Migration20261205193000_AccountSecurity } from './Migration20261205193000_AccountSecurity.js';
import { Migration20261205230000_DicomwebReadCache } from './Migration20261205230000_DicomwebReadCache.js';

/** Applied in this order; a new migration is appended here (never edit a released one). */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261128000000Initial', class: Migration20261128000000Initial },
  { name: 'Migration20261128012000_DicomwebIndex', class: Migration20261128012000_DicomwebIndex },
  { name: 'Migration20261128017000_stats', class: Migration20261128017000_stats },
  { name: 'Migration20261128017001_stats_rebuild', class: Migration20261128017001_stats_rebuild },
  { name: 'Migration20261128016000_ShareGrant', class: Migration20261128016000_ShareGrant },
  { name: 'Migration20261128011000_AuthLinkScrub', class: Migration20261128011000_AuthLinkScrub },
  { name: 'Migration20261128014000_PortalAccessColumns', class: Migration20261128014000_PortalAccessColumns },
  { name: 'Migration20261128018000_AuditTargetIndex', class: Migration20261128018000_AuditTargetIndex },
  { name: 'Migration20261205163000_MailDelivery', class: Migration20261205163000_MailDelivery },
  { name: 'Migration20261205170000_RecordSearchName', class: Migration20261205170000_RecordSearchName },
  { name: 'Migration20261205160000_LoginThrottle', class: Migration20261205160000_LoginThrottle },
  { name: 'Migration20261205171000_DicomDates', class: Migration20261205171000_DicomDates },
  { name: 'Migration20261205193000_AccountSecurity', class: Migration20261205193000_AccountSecurity },
  { name: 'Migration20261205194000_ProSanteConnect', class: Migration20261205194000_ProSanteConnect },
  { name: 'Migration20261205201500_OidcLoginReturn', class: Migration20261205201500_OidcLoginReturn },
  { name: 'Migration20261205230000_DicomwebReadCache', class: Migration20261205230000_DicomwebReadCache },
];
