import { Module } from '@nestjs/common';

import { UsersModule } from '@evently/users';

import { DashboardSessionService } from './dashboard-session.service';
import { QueueDashboardController } from './queue-dashboard.controller';

/** Staff login for Bull Board; the board itself is mounted by `registerQueueDashboard` in api-app.ts. */
@Module({ imports: [UsersModule], controllers: [QueueDashboardController], providers: [DashboardSessionService] })
export class QueueDashboardModule {}
