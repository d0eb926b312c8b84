/**
 * One benchmark target, run in its own process: `node bench-server.js <express|fastify>`.
 * Prints one JSON line `{ port, token }` when listening.
 */
import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ApiSecurityModule } from '../libs/api-security/src/api-security.module';
import { Public } from '../libs/api-security/src/authentication/public.decorator';
import { JwtAuthenticator } from '../libs/api-security/src/authentication/jwt.authenticator';
import { TokenService } from '../libs/api-security/src/authentication/token.service';

const payload = { id: 'item-1', name: 'Benchmark item', price: 42 };

@Controller('bench')
class BenchController {
  @Public()
  @Get('public')
  bare(): typeof payload {
    return payload;
  }

  @Get('jwt')
  protectedRoute(): typeof payload {
    return payload;
  }
}

const store = process.env.REDIS_URL
  ? ({ type: 'redis', url: process.env.REDIS_URL, keyPrefix: `bench-${process.pid}:` } as const)
  : ({ type: 'memory' } as const);

@Module({
  imports: [
    ApiSecurityModule.forRoot({
      jwt: { algorithm: 'HS256', secret: 'benchmark-secret-that-is-long-enough-0123456789' },
      store,
      authenticators: [JwtAuthenticator],
    }),
  ],
  controllers: [BenchController],
})
class BenchModule {}

async function main(): Promise<void> {
  const kind = process.argv[2] === 'fastify' ? 'fastify' : 'express';
  const app: INestApplication =
    kind === 'fastify'
      ? await NestFactory.create(BenchModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const { token } = await app.get(TokenService).issueAccessToken({ sub: 'bench-user', role: 'user' });
  process.stdout.write(`${JSON.stringify({ port: address.port, token })}\n`);
}

void main();
