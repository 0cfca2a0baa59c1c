import type { FastifyRequest } from 'fastify';

import { isPossibleId } from './id-params';

const ROUTABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods the path of a request that found no route is routed for, other than its own; none when no route has
 * the path, or when an id in it could not exist (a malformed id is a 404 whatever the method, as DRF's URL patterns
 * answer it). A file missing under a static route (the Swagger UI's) asks with a method the route takes: none either.
 */
export function otherRoutedMethods(request: FastifyRequest): string[] {
  const url = request.url.split('?', 1)[0];
  const routed = ROUTABLE_METHODS.filter((method) => {
    const route = request.server.findRoute({ method, url });
    return route !== null && Object.values(route.params).every((value) => isPossibleId(String(value)));
  });
  return routed.includes(request.method as (typeof ROUTABLE_METHODS)[number]) ? [] : routed;
}
