import { assessHealth } from './health-status';

const up = { database: true, redis: true, workers: 2, oldestBookingJobSeconds: 3 };

describe('assessHealth', () => {
  it('is healthy with everything up and a short queue', () => {
    expect(assessHealth(up, 60)).toEqual({ status: 'healthy', failing: [] });
  });

  it('is degraded when booking jobs wait longer than the limit, naming the queue', () => {
    const { status, failing } = assessHealth({ ...up, oldestBookingJobSeconds: 61 }, 60);
    expect(status).toBe('degraded');
    expect(failing).toEqual(['bookings queue (oldest waiting job 61 s)']);
  });

  it('is still healthy with the oldest booking job exactly as old as the limit: only an older one degrades it', () => {
    expect(assessHealth({ ...up, oldestBookingJobSeconds: 60 }, 60)).toEqual({ status: 'healthy', failing: [] });
  });

  it('never counts the backlog when the limit is 0', () => {
    expect(assessHealth({ ...up, oldestBookingJobSeconds: 10_000 }, 0).status).toBe('healthy');
  });

  it('is degraded without workers and unhealthy without the database or Redis', () => {
    expect(assessHealth({ ...up, workers: 0 }, 60)).toEqual({ status: 'degraded', failing: ['workers'] });
    expect(assessHealth({ ...up, database: false }, 60)).toEqual({ status: 'unhealthy', failing: ['database'] });
    expect(assessHealth({ ...up, redis: false, workers: 0 }, 60).status).toBe('unhealthy');
    expect(assessHealth({ ...up, workers: 0, workersUncounted: 'cannot be counted' }, 60)).toEqual({
      status: 'degraded',
      failing: ['workers (cannot be counted)'],
    });
  });
});
