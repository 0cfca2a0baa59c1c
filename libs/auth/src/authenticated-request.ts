import { FastifyRequest } from 'fastify';

import { User } from '@evently/database';

export interface AuthenticatedRequest extends FastifyRequest {
  user?: User;
  token?: string;
}
