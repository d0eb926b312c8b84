import { Module } from '@nestjs/common';
import { DocsController } from './docs.controller';
import { OpenApiDocumentService } from './openapi-document.service';

@Module({ controllers: [DocsController], providers: [OpenApiDocumentService], exports: [OpenApiDocumentService] })
export class DocsModule {}
