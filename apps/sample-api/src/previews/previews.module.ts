import { Module } from '@nestjs/common';
import { PreviewsController } from './previews.controller';
import { PreviewsService } from './previews.service';

/** `POST /api/v1/previews` on the library's `SafeHttpClient` (provided by ApiSecurityModule). */
@Module({
  controllers: [PreviewsController],
  providers: [PreviewsService],
})
export class PreviewsModule {}
