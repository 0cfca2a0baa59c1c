/**
 * What event reads return. Plain JSON (times already ISO strings, money as the exact NUMERIC string) so a
 * record survives the Redis cache unchanged.
 */
/** The fields every event list shows. */
export interface EventSummaryRecord {
  id: string;
  name: string;
  venue: string;
  time: string;
  capacity: number;
  availableTickets: number;
  pricePerTicket: string;
  /** The organizer's username. */
  organizer: string;
}

export interface PublicEventRecord extends EventSummaryRecord {
  description: string | null;
}

export interface AdminEventRecord extends EventSummaryRecord {
  isActive: boolean;
  createdAt: string;
}

export interface EventOrganizer {
  id: number;
  username: string;
  email: string;
}

export interface AdminEventDetailsRecord {
  id: string;
  name: string;
  venue: string;
  time: string;
  capacity: number;
  description: string | null;
  pricePerTicket: string;
  organizer: EventOrganizer;
  isActive: boolean;
  availableTickets: number;
  totalBookings: number;
  /** booked_tickets / capacity × 100, rounded to one decimal. */
  utilizationPercentage: number;
  createdAt: string;
  updatedAt: string;
}

export interface AvailabilityRecord {
  eventId: string;
  availableTickets: number;
}

export interface CreatedEventRecord {
  eventId: string;
  name: string;
  venue: string;
  time: string;
  capacity: number;
}

export interface EventPage<T> {
  records: T[];
  count: number;
}
