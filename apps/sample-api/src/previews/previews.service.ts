import { Injectable } from '@nestjs/common';
import { SafeHttpClient, type OutboundEventContext } from '@api-security/nestjs';
import { capPreview, htmlToText } from './preview-text';

/** What `POST /api/v1/previews` answers. */
export interface PreviewView {
  /** The remote status, after redirects. */
  status: number;
  /** The remote media type without parameters (`text/html`), or `null` for a response without a body. */
  contentType: string | null;
  /** The first 1,000 characters of the body: visible text for HTML, the text as is otherwise. */
  preview: string;
}

/**
 * Link previews. Every rule that makes this safe (host allowlist, public addresses only, checked at
 * connect time and on every redirect, time, size and content-type limits) lives in `SafeHttpClient`.
 */
@Injectable()
export class PreviewsService {
  constructor(private readonly http: SafeHttpClient) {}

  async preview(url: string, context: OutboundEventContext): Promise<PreviewView> {
    const response = await this.http.get(url, { context });
    const text = response.text();
    return {
      status: response.status,
      contentType: response.contentType ?? null,
      preview: capPreview(response.contentType === 'text/html' ? htmlToText(text) : text),
    };
  }
}
