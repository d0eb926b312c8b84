import { ApiSecurityConfigError, resolveApiSecurityOptions } from '../api-security.options';
import { checkDeployment, findMisconfigurations } from './misconfiguration.check';

const production = resolveApiSecurityOptions({ production: true, jwt: { algorithm: 'HS256', secret: 'x'.repeat(32) } });
const development = resolveApiSecurityOptions({ production: false });

describe('deployment misconfiguration check', () => {
  it('finds nothing wrong with safe production settings', () => {
    expect(findMisconfigurations(production, { swaggerUi: false, typeormSynchronize: false, trustProxy: 1 })).toEqual(
      [],
    );
  });

  it('names each insecure production setting and its fix', () => {
    const findings = findMisconfigurations(production, {
      cors: { origin: '*', credentials: true },
      hsts: false,
      swaggerUi: true,
      typeormSynchronize: true,
      trustProxy: true,
    });
    expect(findings).toHaveLength(5);
    expect(findings[0]).toMatch(/CORS allows any origin \(\*\) with credentials: list exact origins/);
    expect(findings[1]).toMatch(/Strict-Transport-Security is disabled/);
    expect(findings[2]).toMatch(/Swagger UI is served in production/);
    expect(findings[3]).toMatch(/TypeORM synchronize is true: set synchronize: false/);
    expect(findings[4]).toMatch(/trust proxy is true.*app\.set\('trust proxy', 1\)/);
  });

  it('checks the module options too: a short HSTS max-age', () => {
    const short = resolveApiSecurityOptions({
      production: true,
      jwt: { algorithm: 'HS256', secret: 'x'.repeat(32) },
      hardening: { hstsMaxAgeSeconds: 60 },
    });
    expect(findMisconfigurations(short)).toEqual([expect.stringMatching(/hardening.hstsMaxAgeSeconds is 60/)]);
  });

  it('leaves development alone', () => {
    expect(findMisconfigurations(development, { swaggerUi: true, typeormSynchronize: true, trustProxy: true })).toEqual(
      [],
    );
  });

  it('refuses to start by default, or warns when asked', () => {
    expect(() => checkDeployment(production, { swaggerUi: true })).toThrow(ApiSecurityConfigError);
    expect(() => checkDeployment(production, { swaggerUi: true })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INSECURE_DEPLOYMENT' }),
    );
    const warnings: string[] = [];
    expect(
      checkDeployment(production, { swaggerUi: true }, { mode: 'warn', warn: (m) => warnings.push(m) }),
    ).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/^Insecure production setting: Swagger UI/)]);
  });
});
