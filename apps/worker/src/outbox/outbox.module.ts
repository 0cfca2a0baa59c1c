import { Module } from '@nestjs/common';

import { OutboxRelayTimer } from './outbox-relay.timer';

@Module({ providers: [OutboxRelayTimer] })
export class OutboxModule {}
