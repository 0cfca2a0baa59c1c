import { Module } from '@nestjs/common';

/** Sends Evently's emails from the mail queue (issue 5). */
@Module({})
export class MailWorkerModule {}
