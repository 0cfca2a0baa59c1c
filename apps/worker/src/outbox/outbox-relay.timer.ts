import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

import { PeriodicTask } from '@evently/common';
import { OutboxRelay } from '@evently/queue';

const RELAY_INTERVAL_MS = 2000;

/** Publishes outbox rows that the writer could not hand to BullMQ itself (a crash, Redis down). */
@Injectable()
export class OutboxRelayTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelayTimer.name);
  private readonly relays = new PeriodicTask(
    () => this.relayPending(),
    RELAY_INTERVAL_MS,
    (error) => this.logger.warn(`outbox relay: ${error.message}`),
  );

  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relays.start();
  }

  /** Does not wait for a relay in flight: what it has not published, the next worker's relay will. */
  onModuleDestroy(): void {
    void this.relays.stop();
  }

  private async relayPending(): Promise<void> {
    const published = await this.relay.publishPending();
    if (published > 0) this.logger.log(`relayed ${published} outbox job(s)`);
  }
}
