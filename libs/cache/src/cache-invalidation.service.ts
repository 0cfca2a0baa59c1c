import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { cacheKeys, eventVersionKeys } from './cache-keys';
import { RedisService } from './redis.service';
import { ResponseCache } from './response-cache.service';

/** A record this old is every process's to pay: its writer has died, or cannot reach Redis. */
export const OWED_BUMP_OVERDUE_SECONDS = 2;
const SWEEP_BATCH = 1000;

/** A row of `cache_bumps_owed`. */
interface OwedRecord {
  id: string;
  version_keys: string[];
}

/** Cache versions a write must bump, as recorded in its transaction. */
export interface OwedBump {
  id: string;
  versionKeys: string[];
}

/**
 * Cache invalidation that outlives its writer. A write records the versions it outdates inside its own
 * transaction ({@link owe}), bumps them once it has committed and clears the record ({@link pay}). A record left
 * behind, because the process was killed between its commit and its bump or cannot reach Redis while the others
 * can, is paid by every process's OwedBumpKeeper ({@link payOverdue}) within seconds; until then the other
 * processes would serve the outdated entries until they expired.
 */
@Injectable()
export class CacheInvalidation {
  private readonly logger = new Logger(CacheInvalidation.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: ResponseCache,
    private readonly redis: RedisService,
  ) {}

  /** Inside the writer's transaction: the events' entries, every list and the analytics are outdated by it. */
  async owe(manager: EntityManager, eventIds: string[]): Promise<OwedBump> {
    return this.record(manager, eventVersionKeys(eventIds));
  }

  /**
   * Bumps versions that no write outdates (an event starting as time passes) the way a write does: recorded first,
   * so that if Redis refuses the bump every process learns of it and reads around the cache until it is paid.
   */
  async outdate(versionKeys: string[]): Promise<void> {
    await this.pay(await this.record(this.dataSource.manager, versionKeys));
  }

  /**
   * After the commit: bumps the versions, and clears the record once Redis has taken them. Never throws: the write
   * has committed, and a record it could not clear only costs the sweep's second bump.
   */
  async pay(owed: OwedBump): Promise<void> {
    if (!(await this.cache.bump(owed.versionKeys))) return;
    try {
      await this.clear([owed.id]);
    } catch (error) {
      this.logger.warn(`owed cache bump ${owed.id} left for the sweep: ${(error as Error).message}`);
    }
  }

  /**
   * Pays now what writers still owe for these events: for a reader about to show a write's outcome (a booking's
   * final status) whose writer may not have bumped yet, so that the client's next read of the event, on any api, is
   * fresh. Never throws: the answer stays right, only the next read may be stale until the writer or a keeper pays.
   */
  async payOwedFor(eventIds: string[]): Promise<void> {
    // While Redis is away the bump would fail at once; the writer's replay pays on its return.
    if (eventIds.length === 0 || !this.redis.isReady) return;
    try {
      const records: OwedRecord[] = await this.dataSource.query(
        `SELECT id, version_keys FROM cache_bumps_owed WHERE version_keys && $1::text[]`,
        [[...new Set(eventIds)].map(cacheKeys.eventVersion)],
      );
      if (records.length > 0) await this.payRecords(records);
    } catch (error) {
      this.logger.warn(`owed cache bumps of events just read: ${(error as Error).message}`);
    }
  }

  /**
   * Pays what writers left owing for at least `minAgeSeconds`, oldest first, in one bump per batch; returns how many
   * records it cleared. A bump Redis refuses stops it, and makes this process read around the cache until it is paid.
   */
  async payOverdue(minAgeSeconds = OWED_BUMP_OVERDUE_SECONDS): Promise<number> {
    let cleared = 0;
    for (;;) {
      const records: OwedRecord[] = await this.dataSource.query(
        `SELECT id, version_keys FROM cache_bumps_owed
          WHERE created_at < now() - make_interval(secs => $1) ORDER BY id LIMIT $2`,
        [minAgeSeconds, SWEEP_BATCH],
      );
      if (records.length === 0 || !(await this.payRecords(records))) return cleared;
      cleared += records.length;
      if (records.length < SWEEP_BATCH) return cleared;
    }
  }

  private async record(manager: EntityManager, versionKeys: string[]): Promise<OwedBump> {
    const [row]: { id: string }[] = await manager.query(
      `INSERT INTO cache_bumps_owed (version_keys) VALUES ($1) RETURNING id`,
      [versionKeys],
    );
    return { id: row.id, versionKeys };
  }

  /** One bump for every version the records name, then the records cleared; false, clearing nothing, if refused. */
  private async payRecords(records: OwedRecord[]): Promise<boolean> {
    if (!(await this.cache.bump([...new Set(records.flatMap((record) => record.version_keys))]))) return false;
    await this.clear(records.map((record) => record.id));
    return true;
  }

  private async clear(ids: string[]): Promise<void> {
    await this.dataSource.query(`DELETE FROM cache_bumps_owed WHERE id = ANY($1::bigint[])`, [ids]);
  }
}
