/**
 * The stack teams assemble by hand today, on the same handler: @nestjs/passport's AuthGuard over
 * passport-jwt (string secret), a Reflector-based RolesGuard, the ownership check written in the
 * controller, @nestjs/throttler's ThrottlerGuard with its default in-memory storage, the global
 * ValidationPipe and ClassSerializerInterceptor with groups.
 */
import 'reflect-metadata';
import {
  CanActivate,
  ClassSerializerInterceptor,
  Controller,
  ExecutionContext,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Req,
  SerializeOptions,
  SetMetadata,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, APP_PIPE, Reflector } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { IsString, MaxLength } from 'class-validator';
import { SignJWT } from 'jose';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { BENCH_SECRET, BENCH_USER, ORDERS, type BenchOrder } from './bench-data';
import { serve } from './serve';

interface JwtUser {
  sub: string;
  role: string;
}

@Injectable()
class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: BENCH_SECRET,
      algorithms: ['HS256'],
    });
  }
  validate(payload: JwtUser): JwtUser {
    return { sub: payload.sub, role: payload.role };
  }
}

const ROLES = 'roles';
const RequireRoles = (...roles: string[]) => SetMetadata(ROLES, roles);

@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles) return true;
    const user = context.switchToHttp().getRequest<{ user?: JwtUser }>().user;
    return !!user && roles.includes(user.role);
  }
}

class OrderParams {
  @IsString()
  @MaxLength(64)
  id!: string;
}

@Controller('bench')
@UseGuards(AuthGuard('jwt'), RolesGuard)
class UsualController {
  @RequireRoles('user')
  @SerializeOptions({ strategy: 'excludeAll', groups: ['user'] })
  @Get('orders/:id')
  get(@Param() params: OrderParams, @Req() request: { user: JwtUser }): BenchOrder {
    const order = ORDERS.get(params.id);
    if (!order || order.ownerId !== request.user.sub) throw new NotFoundException();
    return order;
  }
}

@Module({
  imports: [PassportModule, ThrottlerModule.forRoot([{ ttl: 60_000, limit: 999_999_999 }])],
  controllers: [UsualController],
  providers: [
    JwtStrategy,
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_INTERCEPTOR, useClass: ClassSerializerInterceptor },
    { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }) },
  ],
})
class UsualModule {}

void serve(UsualModule, async () => ({
  token: await new SignJWT({ role: 'user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(BENCH_USER)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(BENCH_SECRET)),
}));
