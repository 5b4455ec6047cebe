import { ManualClock } from '../../src/core/clock.js';
import { defaultCatalogue } from '../../src/resources/alarms/catalogue-data.js';
import { FaultService } from '../../src/resources/alarms/fault.service.js';
import { createChangeFeed, type FaultChange } from '../../src/resources/stream/change-feed.js';
import type { Database } from '../../src/db/database.js';

export function faultFixture(database: Database) {
  const clock = new ManualClock();
  const feed = createChangeFeed();
  const seen: FaultChange[] = [];
  feed.subscribe((c) => seen.push(c));
  const service = new FaultService({ db: database.db, dialect: database.dialect, catalogue: defaultCatalogue, clock, feed });
  return { clock, feed, seen, service, db: database.db };
}
