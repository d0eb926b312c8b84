import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SECURITY_EVENT_SINKS } from '@api-security/nestjs';
import { SecurityEventEntity } from '../database/security-event.entity';
import { SecurityEventsController } from './security-events.controller';
import { TypeOrmSecurityEventSink } from './typeorm-security-event.sink';

/** Global so that the library's event bus can see the sink list. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([SecurityEventEntity])],
  controllers: [SecurityEventsController],
  providers: [
    TypeOrmSecurityEventSink,
    {
      provide: SECURITY_EVENT_SINKS,
      useFactory: (sink: TypeOrmSecurityEventSink) => [sink],
      inject: [TypeOrmSecurityEventSink],
    },
  ],
  exports: [SECURITY_EVENT_SINKS],
})
export class SecurityEventsModule {}
