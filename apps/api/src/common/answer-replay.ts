import { NestFastifyApplication, RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';

import { NearCache, RedisService, VersionWatch } from '@evently/cache';

import { JSON_TEXT_TYPE } from './json-text.decorator';

const VERSION_OF = 'replayVersionOf';
/** Longer URLs are not replayed, so no client can fill the memory with 16 KB URLs. */
const MAX_URL_CHARS = 512;

/** The route's params as Fastify parsed them, which Nest's pipes have not yet validated. */
type VersionOf = (params: unknown) => string;

interface PendingAnswer {
  url: string;
  versionKey: string;
  /** The version the route's answer will be current under, if nothing is announced before it is sent. */
  token: string;
  mark: number;
}

/**
 * Marks a public GET route, answered with @JsonText, whose anonymous answer depends on nothing but its URL and one
 * cache version (the key `versionOf` builds from the route's params), so it may be replayed
 * ({@link registerAnswerReplay}).
 */
export const Replayable = <Params>(versionOf: (params: Params) => string) => RouteConfig({ [VERSION_OF]: versionOf });

/**
 * Replays a @Replayable route's last anonymous 200 for the same absolute URL before the request reaches Nest, while
 * the version it was answered under is still trusted by the {@link VersionWatch} once it has handled every change
 * Redis announced before the request arrived (its barrier), and for at most the {@link NearCache}'s 5 seconds: the
 * route's guard, pipes and handler would compute the same text again from the same cache entry, at about a third
 * of a cached read's CPU. An answer is kept under the version trusted when its request arrived, and only if no
 * change was announced before it was sent. Only answers Nest gave are replayed, so validation and headers stay with
 * the route; a request with credentials always goes to Nest, whose guard must check them. Route hooks of the
 * @Replayable routes, so they run after the application's hooks that refuse a bad Host and set the security, CORS
 * and request-id headers; the request log and the metrics see a replayed answer like any other. Call before the
 * routes are registered (`app.init()`).
 */
export function registerAnswerReplay(app: NestFastifyApplication): void {
  const watch = app.get(VersionWatch);
  const redis = app.get(RedisService);
  const answers = new NearCache(watch);
  const pending = new WeakMap<FastifyRequest, PendingAnswer>();

  const replayHooks = (versionOf: VersionOf) => {
    const onRequest: onRequestHookHandler = (request, reply, done) => {
      if (request.method !== 'GET' || request.headers.authorization !== undefined) return done();
      const url = `${request.protocol}://${request.host}${request.url}`;
      if (url.length > MAX_URL_CHARS) return done();
      const versionKey = redis.key(versionOf(request.params));
      const mark = watch.mark();
      const token = watch.trusted(versionKey);
      void answers.read(url, versionKey).then((answer) => {
        if (answer !== undefined) return void reply.header('content-type', JSON_TEXT_TYPE).send(answer);
        if (token !== undefined) pending.set(request, { url, versionKey, token, mark });
        done();
      });
    };
    const onSend: onSendHookHandler = (request, reply, payload, done) => {
      const answer = pending.get(request);
      if (answer && reply.statusCode === 200 && typeof payload === 'string') {
        const unchanged = watch.trustedSince(answer.versionKey, answer.mark) === answer.token;
        if (unchanged && reply.getHeader('content-type') === JSON_TEXT_TYPE) {
          answers.keep(answer.url, answer.versionKey, answer.token, payload);
        }
      }
      done(null, payload);
    };
    return { onRequest, onSend };
  };

  // Route hooks, so that no other route's requests pay for the replay; they run after the application's own.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      const versionOf = (route.config as unknown as Record<string, unknown> | undefined)?.[VERSION_OF];
      if (typeof versionOf !== 'function' || route.method !== 'GET') return;
      const { onRequest, onSend } = replayHooks(versionOf as VersionOf);
      route.onRequest = [...[route.onRequest ?? []].flat(), onRequest];
      route.onSend = [...[route.onSend ?? []].flat(), onSend];
    });
}
