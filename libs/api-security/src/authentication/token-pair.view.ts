import { VisibleTo } from '../properties/visible-to.decorator';
import type { TokenPair } from './token-endpoints.service';

/**
 * The response class of `POST …/login` and `POST …/refresh`. The tokens are the one place where
 * credentials are meant to reach the client, so they are declared visible here, field by field,
 * like any application's response class: the credential tripwire needs no exemption for them.
 */
export class TokenPairView implements TokenPair {
  @VisibleTo('public') readonly accessToken: string;
  @VisibleTo('public') readonly refreshToken: string;
  @VisibleTo('public') readonly tokenType: 'Bearer';
  @VisibleTo('public') readonly expiresIn: number;

  constructor(pair: TokenPair) {
    this.accessToken = pair.accessToken;
    this.refreshToken = pair.refreshToken;
    this.tokenType = pair.tokenType;
    this.expiresIn = pair.expiresIn;
  }
}
