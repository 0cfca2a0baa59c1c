import { getQueueToken } from '@nestjs/bullmq';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { BadRequestError, ForbiddenError } from '@evently/common';
import { QUEUES } from '@evently/queue';

import { replyToError } from '../common/http-exception.filter';
import { decodesAsUriComponent } from '../common/uri-decoding';
import { DASHBOARD_PATH, DashboardSessionService, SessionCheck } from './dashboard-session.service';

/**
 * Bull Board for staff at /api/admin/queues, showing the bookings and mail queues. It is a Fastify plugin of
 * its own (Nest's guard does not reach it), so its one hook checks the session cookie: anonymous browsers are
 * sent to the login form, other anonymous requests get 401, non-staff 403. Staff may look; changing the queues
 * (every board action that is not a GET: retry, add, pause, empty…) is for superusers, the operators, since a job
 * added by hand sends whatever mail it names.
 */
export function registerQueueDashboard(app: NestFastifyApplication): void {
  const sessions = app.get(DashboardSessionService);
  const board = new FastifyAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [QUEUES.bookings, QUEUES.mail].map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)))),
    // @bull-board/fastify pins an older patch of @bull-board/api, whose adapter types differ only nominally.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Evently queues' } },
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  void fastify.register(
    async (scope) => {
      scope.addHook('onRequest', (request, reply) => requireStaff(sessions, request, reply));
      scope.addHook('onRequest', refuseUnreadableQuery);
      await scope.register(board.registerPlugin());
    },
    { prefix: DASHBOARD_PATH },
  );
}

const READS = new Set(['GET', 'HEAD']);

async function requireStaff(sessions: DashboardSessionService, request: FastifyRequest, reply: FastifyReply) {
  let session: SessionCheck;
  try {
    session = await sessions.checkCookie(request.headers.cookie);
  } catch (error) {
    // Bull Board's error handler would answer it (the database down, say) with a 500 and the driver's message.
    return replyToError(error, request, reply);
  }
  if (session === 'superuser' || (session === 'staff' && READS.has(request.method))) return;
  if (session === 'staff') {
    return replyToError(new ForbiddenError('Changing the queues is for superusers only.'), request, reply);
  }
  if (session === 'not-staff') {
    return replyToError(new ForbiddenError('The queue dashboard is for staff only.'), request, reply);
  }
  if (request.method === 'GET' && request.headers.accept?.includes('text/html')) {
    return reply.redirect(`${DASHBOARD_PATH}/login`, 303);
  }
  // Not through replyToError: its 401 names the api's Token scheme, and the dashboard takes only its session cookie.
  return reply.status(401).send({ error: 'Log in at the dashboard login form first.', details: null });
}

/** The query values Bull Board decodes a second time, as queue names. */
const QUEUE_NAME_PARAMS = ['activeQueue', 'queueName'];

/**
 * Bull Board answers 500 for a NUL in a query value (it reads its own error text back as JSON) and for a queue name
 * that does not decode a second time; no board URL needs either.
 */
async function refuseUnreadableQuery(request: FastifyRequest, reply: FastifyReply) {
  if (/%00/i.test(request.url))
    return replyToError(new BadRequestError('The URL holds a NUL character.'), request, reply);
  const query = request.query as Record<string, unknown>;
  const unreadable = QUEUE_NAME_PARAMS.filter((name) => {
    const value = query[name];
    return typeof value === 'string' && !decodesAsUriComponent(value);
  });
  if (unreadable.length > 0) {
    const details = Object.fromEntries(unreadable.map((name) => [name, ['Not a queue name.']]));
    return replyToError(new BadRequestError('Validation failed.', details), request, reply);
  }
}
