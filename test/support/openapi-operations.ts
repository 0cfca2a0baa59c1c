import request from 'supertest';

/** The parts of the served OpenAPI 3.0 document the tests read. */
export interface OpenApiSchema {
  type?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  example?: unknown;
  description?: string;
  $ref?: string;
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  anyOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { schema?: OpenApiSchema }>;
  content?: Record<string, { schema?: OpenApiSchema }>;
}

export interface OpenApiOperationObject {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: OpenApiSchema }[];
  requestBody?: {
    required?: boolean;
    content: Record<string, { schema?: OpenApiSchema; examples?: Record<string, { value: Record<string, unknown> }> }>;
  };
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperationObject>>;
  components: {
    schemas: Record<string, OpenApiSchema>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The document's path template, e.g. `/api/bookings/{id}`. */
  path: string;
  /** `METHOD /path/template`, the name tests key their rows by. */
  key: string;
  params: string[];
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Every operation of an OpenAPI document, with its object. */
export function documentOperations(
  document: Pick<OpenApiDocument, 'paths'>,
): (ApiOperation & { operation: OpenApiOperationObject })[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({
        method: method as ApiOperation['method'],
        path,
        key: `${method.toUpperCase()} ${path}`,
        params: [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]),
        operation,
      })),
  );
}

/** Every operation the app's own OpenAPI document lists, so suites over "every endpoint" grow with the api. */
export async function apiOperations(http: ReturnType<typeof request>): Promise<ApiOperation[]> {
  const { body } = await http.get('/api/docs-json').expect(200);
  return documentOperations(body as OpenApiDocument).map(({ operation: _operation, ...rest }) => rest);
}

/** The operation's URL (with the trailing slash the original API's clients send), params substituted. */
export function urlOf(operation: Pick<ApiOperation, 'path'>, params: Record<string, string>): string {
  return `${operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => params[name] ?? 'missing-param')}/`;
}
