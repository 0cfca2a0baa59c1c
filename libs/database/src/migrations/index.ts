import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';
import { PublicSearchIndex1764100000000 } from './1764100000000-PublicSearchIndex';

export const MIGRATIONS = [InitialSchema1764000000000, PublicSearchIndex1764100000000];
