/**
 * 210.002 "System Restore in progress", as StarlingX raises it: written into
 * the restored database itself, so it stands from the restored controller's
 * first start until an operator says the restore is done
 * (`starling system restore-complete`, StarlingX's `system restore-complete`)
 * once its hosts and subclouds are back.
 */
import { systemClock } from '../../core/clock.js';
import type { Database } from '../../db/database.js';
import { defaultCatalogue } from '../alarms/catalogue-data.js';
import { FaultService } from '../alarms/fault.service.js';
import { createChangeFeed } from '../stream/change-feed.js';

export const ALARM_RESTORE = '210.002';

export async function raiseRestoreAlarm(database: Database, systemName: string, backupName: string): Promise<void> {
  const fault = new FaultService({ db: database.db, dialect: database.dialect, catalogue: defaultCatalogue, clock: systemClock, feed: createChangeFeed() });
  await fault.raise({
    alarm_id: ALARM_RESTORE,
    entity_instance_id: `host=${systemName}`,
    severity: 'minor',
    reason_text: `System Restore in progress: restored from ${backupName}; run "starling system restore-complete" once hosts and subclouds are back`,
  });
}
