import { Client, ClientConfig } from 'pg';

/**
 * node-postgres's Client, listening for 'error' from the moment it exists. pg-pool stops listening when it
 * hands a new client out, inside the read that completed the connection; a TypeORM query runner starts
 * listening a microtask later, and TypeORM's own start-up checkout never does. A server shutting down can send
 * its FATAL in that same read, and an 'error' nobody listens to ends the process: it killed both workers when
 * the fault suite restarted PostgreSQL. Nothing needs doing here: the client is no longer queryable, so its
 * holder's next query fails with a connection error (503 in the api, a retry in the worker) and pg-pool drops
 * it when it comes back. (The few errors pg emits while still connecting now end in the pool's connection
 * timeout rather than the process.)
 */
export class ListeningClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', ignore);
  }
}

function ignore(): void {}
