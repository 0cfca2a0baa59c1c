import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';

import { TokenAuthGuard } from '@evently/auth';
import { CacheModule, OwedBumpKeeper } from '@evently/cache';
import { LoggerModule } from '@evently/common';
import { ConfigModule } from '@evently/config';
import { DatabaseModule } from '@evently/database';
import { MetricsModule } from '@evently/metrics';
import { QueueModule } from '@evently/queue';
import { UsersModule as UsersDomainModule } from '@evently/users';

import { HttpExceptionFilter } from './common/http-exception.filter';
import { PathIdsGuard } from './common/path-ids.guard';
import { AppValidationPipe } from './common/validation.pipe';
import { AdminUsersModule } from './admin-users/admin-users.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { BookingsModule } from './bookings/bookings.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { MetricsEndpointModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { QueueDashboardModule } from './queue-dashboard/queue-dashboard.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule,
    LoggerModule,
    MetricsModule,
    DatabaseModule,
    CacheModule,
    QueueModule.forRoot('producer'),
    UsersDomainModule,
    UsersModule,
    EventsModule,
    AdminUsersModule,
    BookingsModule,
    NotificationsModule,
    AnalyticsModule,
    HealthModule,
    MetricsEndpointModule,
    QueueDashboardModule,
  ],
  providers: [
    OwedBumpKeeper,
    // In this order: a path id that could not exist is a 404 before any authentication.
    { provide: APP_GUARD, useClass: PathIdsGuard },
    { provide: APP_GUARD, useClass: TokenAuthGuard },
    { provide: APP_PIPE, useClass: AppValidationPipe },
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
})
export class ApiModule {}
