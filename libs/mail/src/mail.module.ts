import { join } from 'node:path';

import { MailerModule, MailerOptions } from '@nestjs-modules/mailer';
import { HandlebarsAdapter } from '@nestjs-modules/mailer/adapters/handlebars.adapter';
import { Module } from '@nestjs/common';

import { AppConfig } from '@evently/config';

import { MailService } from './mail.service';
import { smtpTransportOptions } from './smtp-transport';

/** Copied beside the compiled code by the `assets` entry of nest-cli.json. */
export const MAIL_TEMPLATE_DIR = join(__dirname, 'templates');

/** SMTP from `AppConfig.mail`, handlebars templates with an html and a plain-text part per kind. */
@Module({
  imports: [
    MailerModule.forRootAsync({
      imports: [],
      inject: [AppConfig],
      useFactory: (config: AppConfig): MailerOptions => ({
        transport: smtpTransportOptions(config.mail),
        template: {
          dir: MAIL_TEMPLATE_DIR,
          adapter: new HandlebarsAdapter(undefined, { inlineCssEnabled: false }),
          options: { strict: true },
        },
        options: { layout: 'layout' },
      }),
    }),
  ],
  providers: [MailService],
  exports: [MailService],
})
export class MailModule {}
