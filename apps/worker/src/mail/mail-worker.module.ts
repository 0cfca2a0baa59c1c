import { Module } from '@nestjs/common';

import { MailModule } from '@evently/mail';

import { ProcessorsClosingModule } from '../processors/processors-closing.module';
import { MailComposer } from './mail-composer.service';
import { MailRateLimit } from './mail-rate-limit.service';
import { MailProcessor } from './mail.processor';

/** Sends Evently's emails from the mail queue. */
@Module({
  imports: [MailModule, ProcessorsClosingModule],
  providers: [MailComposer, MailProcessor, MailRateLimit],
})
export class MailWorkerModule {}
