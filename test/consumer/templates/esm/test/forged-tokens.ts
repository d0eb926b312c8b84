// Prints, as JSON, credentials made with the library's test kit for this app's JWT settings: one
// valid bearer header (so a 401 below cannot come from a forge that mirrors the app wrongly) and
// every forged or malformed variant the app must refuse with 401 (alg none, wrong key, bad claims…).
import { TokenForge } from '@api-security/nestjs/testing';

const forge = await TokenForge.create({
  algorithm: 'HS256',
  key: process.env.JWT_SECRET!,
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
});
const claims = { sub: process.argv[2] ?? 'user-a', role: 'user' };
const valid = await forge.bearer(claims);
const forged = await forge.forgedTokens(claims);
process.stdout.write(JSON.stringify({ valid, forged }));
