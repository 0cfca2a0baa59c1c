export * from './booking-allocator.service';
export * from './booking-intake.service';
export * from './bookings.module';
export * from './bookings.service';
export * from './seat-allocation';
