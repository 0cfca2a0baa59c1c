import type { FastifyRequest } from 'fastify';

import { hasPossibleIds } from './id-params';
import { decodesAsUriComponent } from './uri-decoding';

/** The router's longest path parameter; a longer one names nothing (404). */
export const MAX_PARAM_LENGTH = 200;

const ROUTABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods the path of a request that found no route is routed for, other than its own. None when no route has
 * the path, when the path could not be routed at all (undecodable, or a parameter too long), when one of its ids
 * could not exist (a malformed id is a 404 whatever the method, as DRF's URL patterns answer it), or when the
 * request's own method is among them (a file missing under a static route, such as the Swagger UI's).
 */
export function otherRoutedMethods(request: FastifyRequest): string[] {
  const url = request.url.split('?', 1)[0];
  if (!isRoutable(url)) return [];
  const routed = ROUTABLE_METHODS.filter((method) => {
    const route = request.server.findRoute({ method, url });
    return route !== null && hasPossibleIds(route.params);
  });
  return routed.some((method) => method === request.method) ? [] : routed;
}

function isRoutable(path: string): boolean {
  return decodesAsUriComponent(path) && path.split('/').every((segment) => segment.length <= MAX_PARAM_LENGTH);
}
