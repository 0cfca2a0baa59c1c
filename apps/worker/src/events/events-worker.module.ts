import { Module } from '@nestjs/common';

import { StartedEventsWatch } from './started-events.watch';

@Module({ providers: [StartedEventsWatch] })
export class EventsWorkerModule {}
