import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';

import { OutboxRelay } from '@evently/queue';

const RELAY_INTERVAL_MS = 2000;

/** Publishes outbox rows that the writer could not hand to BullMQ itself (a crash, Redis down). */
@Injectable()
export class OutboxRelayTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelayTimer.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), RELAY_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const published = await this.relay.publishPending();
      if (published > 0) this.logger.log(`relayed ${published} outbox job(s)`);
    } catch (error) {
      this.logger.warn(`outbox relay: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
