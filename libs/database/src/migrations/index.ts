import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';
import { PublicSearchIndex1764100000000 } from './1764100000000-PublicSearchIndex';
import { PublicSearchColumn1764200000000 } from './1764200000000-PublicSearchColumn';
import { EventsFillfactor1764300000000 } from './1764300000000-EventsFillfactor';
import { EstimatedRowsFunction1764400000000 } from './1764400000000-EstimatedRowsFunction';
import { RetentionIndexes1764500000000 } from './1764500000000-RetentionIndexes';
import { CacheBumpsOwed1764600000000 } from './1764600000000-CacheBumpsOwed';
import { OutboxFinished1764700000000 } from './1764700000000-OutboxFinished';
import { TokenExpiry1764800000000 } from './1764800000000-TokenExpiry';
import { EventNoticesIndexes1764900000000 } from './1764900000000-EventNoticesIndexes';
import { SearchKeyUpperCase1765000000000 } from './1765000000000-SearchKeyUpperCase';
import { SearchKeyIndexes1765100000000 } from './1765100000000-SearchKeyIndexes';
import { ConfirmedBookingsIndex1765200000000 } from './1765200000000-ConfirmedBookingsIndex';
import { PublicTimeIndex1765300000000 } from './1765300000000-PublicTimeIndex';
import { DropLowerCaseSearch1765400000000 } from './1765400000000-DropLowerCaseSearch';

export const MIGRATIONS = [
  InitialSchema1764000000000,
  PublicSearchIndex1764100000000,
  PublicSearchColumn1764200000000,
  EventsFillfactor1764300000000,
  EstimatedRowsFunction1764400000000,
  RetentionIndexes1764500000000,
  CacheBumpsOwed1764600000000,
  OutboxFinished1764700000000,
  TokenExpiry1764800000000,
  EventNoticesIndexes1764900000000,
  SearchKeyUpperCase1765000000000,
  SearchKeyIndexes1765100000000,
  ConfirmedBookingsIndex1765200000000,
  PublicTimeIndex1765300000000,
  DropLowerCaseSearch1765400000000,
];
