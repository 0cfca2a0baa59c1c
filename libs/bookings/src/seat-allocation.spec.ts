import { allocateSeats } from './seat-allocation';

const booking = (id: string, ticketCount: number) => ({ id, ticketCount });

describe('allocateSeats', () => {
  it('confirms in arrival order until the seats run out', () => {
    const decision = allocateSeats([booking('a', 2), booking('b', 2), booking('c', 2)], 5, null);
    expect(decision.confirmed.map((b) => b.id)).toEqual(['a', 'b']);
    expect(decision.failed).toEqual([{ booking: booking('c', 2), reason: 'sold out' }]);
    expect(decision.seatsTaken).toBe(4);
  });

  it('lets a later, smaller booking take seats a larger one could not use', () => {
    const decision = allocateSeats([booking('a', 4), booking('b', 3), booking('c', 1)], 5, null);
    expect(decision.confirmed.map((b) => b.id)).toEqual(['a', 'c']);
    expect(decision.failed.map((f) => f.booking.id)).toEqual(['b']);
    expect(decision.seatsTaken).toBe(5);
  });

  it('fails every booking of a closed event', () => {
    const decision = allocateSeats([booking('a', 1)], 10, 'event is not active');
    expect(decision.confirmed).toEqual([]);
    expect(decision.failed).toEqual([{ booking: booking('a', 1), reason: 'event is not active' }]);
  });
});
