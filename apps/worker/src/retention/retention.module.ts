import { Module } from '@nestjs/common';

import { RetentionPruner } from './retention-pruner.service';

@Module({ providers: [RetentionPruner] })
export class RetentionModule {}
