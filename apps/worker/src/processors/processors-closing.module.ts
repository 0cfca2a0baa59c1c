import { Module } from '@nestjs/common';

import { ProcessorsClosing } from './processors-closing';

/** Imported by every module with a processor: one {@link ProcessorsClosing} for all of them. */
@Module({ providers: [ProcessorsClosing], exports: [ProcessorsClosing] })
export class ProcessorsClosingModule {}
