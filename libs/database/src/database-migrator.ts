import { DataSource } from 'typeorm';

import { databaseOptions } from './database-options';
import { ListeningClient } from './listening-client';

export interface MigrationReport {
  databaseCreated: boolean;
  applied: string[];
}

/** Creates the database named by `url` when missing, then applies pending migrations. Safe to run twice. */
export async function migrateDatabase(url: string, log: (line: string) => void = () => {}): Promise<MigrationReport> {
  const databaseCreated = await createDatabaseIfMissing(url, log);
  const dataSource = new DataSource(databaseOptions({ url, poolSize: 2, requestTimeouts: false }));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) log(`applied migration ${migration.name}`);
    if (applied.length === 0) log('schema is up to date');
    return { databaseCreated, applied: applied.map((migration) => migration.name) };
  } finally {
    await dataSource.destroy();
  }
}

export async function createDatabaseIfMissing(url: string, log: (line: string) => void = () => {}): Promise<boolean> {
  const name = databaseName(url);
  const client = new ListeningClient({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42P04') throw error;
      return false;
    }
    log(`created database ${name}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const client = new ListeningClient({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(databaseName(url))} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  return name;
}

function maintenanceUrl(url: string): string {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  return maintenance.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
