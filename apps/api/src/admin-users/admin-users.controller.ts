import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';

import { CurrentUser, StaffOnly, SuperuserOnly } from '@evently/auth';
import { User } from '@evently/database';
import { StaffUsersService } from '@evently/events';

import { ApiErrors, NOT_STAFF } from '../common/api-errors.decorator';
import { mapProfile, ProfileDto } from '../users/dto/user-responses.dto';
import { BulkDeleteResultDto, BulkDeleteUsersDto, CreateStaffDto, toNewUser } from './dto/admin-users.dto';

@ApiTags('admin-users')
@ApiSecurity('token')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly staffUsers: StaffUsersService) {}

  /** Superusers only. Creates a staff user; this endpoint cannot create superusers. */
  @SuperuserOnly()
  @Post('staff')
  @ApiErrors(400, 401, { status: 403, description: 'The caller is not a superuser' })
  async createStaff(@Body() dto: CreateStaffDto): Promise<ProfileDto> {
    return mapProfile(await this.staffUsers.createStaff(toNewUser(dto)));
  }

  /**
   * Staff only. Deletes the users whose username starts with `prefix`, except staff, superusers, the caller and event
   * organizers. Their live bookings go with them and confirmed seats return to their events.
   */
  @StaffOnly()
  @Post('bulk_delete')
  @HttpCode(200)
  @ApiErrors(400, 401, NOT_STAFF)
  async bulkDelete(@CurrentUser() user: User, @Body() dto: BulkDeleteUsersDto): Promise<BulkDeleteResultDto> {
    return { deleted_users: await this.staffUsers.bulkDelete(user, dto.prefix), prefix: dto.prefix };
  }
}
