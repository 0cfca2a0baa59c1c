import { bookingTaskId, jobIds, settleSignalId } from './queue-names';

describe('jobIds', () => {
  it('never contain ":", which BullMQ refuses in custom job ids', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const ids = [
      bookingTaskId(uuid),
      settleSignalId(uuid),
      jobIds.bookingConfirmed(uuid),
      jobIds.bookingCancelled(uuid),
      jobIds.eventNotice(uuid, 7),
      jobIds.eventCancelled(uuid, 7),
    ];
    for (const id of ids) expect(id).not.toContain(':');
    expect(new Set(ids).size).toBe(ids.length);
  });
});
