export interface PendingBooking {
  id: string;
  ticketCount: number;
}

export interface AllocationDecision {
  confirmed: PendingBooking[];
  failed: { booking: PendingBooking; reason: string }[];
  seatsTaken: number;
}

/**
 * First come, first served over one event's pending bookings, oldest first. A booking that does not fit
 * fails while later, smaller ones may still fit, so no seat stays empty that a failed booking could
 * have had. `closedReason` fails everything (event deactivated or already started).
 */
export function allocateSeats(
  pending: PendingBooking[],
  seatsLeft: number,
  closedReason: string | null,
): AllocationDecision {
  const decision: AllocationDecision = { confirmed: [], failed: [], seatsTaken: 0 };
  let remaining = seatsLeft;
  for (const booking of pending) {
    if (closedReason) {
      decision.failed.push({ booking, reason: closedReason });
    } else if (booking.ticketCount <= remaining) {
      decision.confirmed.push(booking);
      remaining -= booking.ticketCount;
      decision.seatsTaken += booking.ticketCount;
    } else {
      decision.failed.push({ booking, reason: 'sold out' });
    }
  }
  return decision;
}
