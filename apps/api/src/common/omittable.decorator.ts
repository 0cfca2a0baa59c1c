import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but an explicit `null` is validated (and refused) rather than skipped, as DRF refuses
 * null for a field whose model column is not nullable. `IsOptional` would let `null` through.
 */
export const Omittable = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);
