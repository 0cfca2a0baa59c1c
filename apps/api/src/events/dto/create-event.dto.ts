import { IsOptional } from 'class-validator';

import { centsToDecimalString, parseZonedInstant } from '@evently/common';
import { EventChanges, NewEvent } from '@evently/events';

import { Omittable } from '../../common/omittable.decorator';

import {
  EventActiveChangeField,
  EventActiveField,
  EventCapacityField,
  EventDescriptionField,
  EventPriceField,
  EventTextField,
  EventTimeField,
} from './event-fields.decorator';

export class CreateEventDto {
  @EventTextField('Tech Conference 2030', true)
  name!: string;

  @EventTextField('Convention Center', true)
  venue!: string;

  @EventTimeField(true)
  time!: string;

  @EventCapacityField(true)
  capacity!: number;

  @IsOptional()
  @EventDescriptionField()
  description?: string | null;

  @EventPriceField(true)
  price_per_ticket!: number;

  @Omittable()
  @EventActiveField()
  is_active?: boolean;
}

/** A partial update: every field optional; `description` may be set to null, the others may not. */
export class UpdateEventDto {
  @Omittable()
  @EventTextField('Updated Tech Conference 2030', false)
  name?: string;

  @Omittable()
  @EventTextField('Convention Center', false)
  venue?: string;

  @Omittable()
  @EventTimeField(false)
  time?: string;

  @Omittable()
  @EventCapacityField(false)
  capacity?: number;

  @IsOptional()
  @EventDescriptionField()
  description?: string | null;

  @Omittable()
  @EventPriceField(false)
  price_per_ticket?: number;

  @Omittable()
  @EventActiveChangeField()
  is_active?: boolean;
}

export function toNewEvent(dto: CreateEventDto): NewEvent {
  return {
    name: dto.name,
    venue: dto.venue,
    time: parseZonedInstant(dto.time)!,
    capacity: dto.capacity,
    description: dto.description ?? null,
    pricePerTicket: toDecimal(dto.price_per_ticket),
    isActive: dto.is_active ?? true,
  };
}

export function toEventChanges(dto: UpdateEventDto): EventChanges {
  return {
    name: dto.name,
    venue: dto.venue,
    time: dto.time === undefined ? undefined : parseZonedInstant(dto.time)!,
    capacity: dto.capacity,
    description: dto.description,
    pricePerTicket: dto.price_per_ticket === undefined ? undefined : toDecimal(dto.price_per_ticket),
    isActive: dto.is_active,
  };
}

/** Exact: the validator already guaranteed whole cents. */
function toDecimal(price: number): string {
  return centsToDecimalString(Math.round(price * 100));
}
