/**
 * A storm's requests: connection c (user c) sends its j-th one-ticket `POST /api/bookings/` to event
 * (2c + j) mod events, tagged with that event's index. The demand is spread evenly, and each event of many hears from
 * as many users, over both apis (with `c + connections × j`, the scheme before, an event heard from one connection
 * only, one request after the other, and its invariants could not fail).
 */
export function bookingRequests(users, eventIds) {
  return (connection) => {
    const user = users[connection % users.length];
    const headers = { 'content-type': 'application/json', authorization: `Token ${user.token}` };
    let sent = 0;
    return () => {
      const tag = (2 * connection + sent++) % eventIds.length;
      const body = JSON.stringify({ user_id: user.id, event_id: eventIds[tag], number_of_tickets: 1 });
      return { method: 'POST', path: '/api/bookings/', headers, body, tag };
    };
  };
}
