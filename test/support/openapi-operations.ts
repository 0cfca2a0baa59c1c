import request from 'supertest';

export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The document's path template, e.g. `/api/bookings/{id}`. */
  path: string;
  /** `METHOD /path/template`, the name tests key their rows by. */
  key: string;
  params: string[];
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Every operation the app's own OpenAPI document lists, so suites over "every endpoint" grow with the api. */
export async function apiOperations(http: ReturnType<typeof request>): Promise<ApiOperation[]> {
  const { body } = await http.get('/api/docs-json').expect(200);
  const paths = body.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .filter((method) => METHODS.has(method))
      .map((method) => ({
        method: method as ApiOperation['method'],
        path,
        key: `${method.toUpperCase()} ${path}`,
        params: [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]),
      })),
  );
}

/** The operation's URL (with the trailing slash the original API's clients send), params substituted. */
export function urlOf(operation: Pick<ApiOperation, 'path'>, params: Record<string, string>): string {
  return `${operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => params[name] ?? 'missing-param')}/`;
}
