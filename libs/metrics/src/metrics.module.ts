import { Global, Module } from '@nestjs/common';

import { Metrics } from './metrics.service';

/** One {@link Metrics} (and registry) per application, injectable everywhere. */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
