// A real OpenID provider (the npm package oidc-provider, v9) on loopback for the single
// sign-on tests (tests/web/test_sso_browser.py). Started by the test setup:
//
//   node provider.mjs   with OIDC_NODE_MODULES (where scripts/oidc-provider.sh installed it),
//                       OIDC_PORT, OIDC_HOST (the issuer's host name) and RP_BASE (gaplens)
//
// Login is oidc-provider's devInteractions form: any password, the login names below.
// Prints "ready ISSUER" on stdout once it listens.
//
// Two clients stand for providers that misbehave, so that gaplens's own checks are what
// refuses them: the provider's token response is re-signed with its own key, so only the
// claim named changes: "gaplens-wrong-aud" gets an ID token for another audience,
// "gaplens-expired" one that expired ten minutes ago (a provider whose clock is behind),
// "gaplens-wrong-nonce" one for another sign-in, "gaplens-wrong-iss" one from another
// issuer, and "gaplens-forged" one signed with a key the provider does not publish.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const modules = process.env.OIDC_NODE_MODULES;
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider/lib/index.js')));
const jose = await import(pathToFileURL(join(modules, 'jose/dist/webapi/index.js')));

const port = Number(process.env.OIDC_PORT);
const host = process.env.OIDC_HOST || '127.0.0.1';
const issuer = `http://${host}:${port}`;
const rp = process.env.RP_BASE;

const ACCOUNTS = {
  alice: { name: 'Alice Leader', email: 'alice@northwind.example', groups: ['gaplens-leaders', 'everyone'] },
  adam: { name: 'Adam Admin', email: 'adam@northwind.example', groups: ['everyone', 'gaplens-admins'] },
  nora: { name: 'Nora Nogroup', email: 'nora@northwind.example', groups: ['everyone'] },
};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
// Never published: what an attacker without the provider's key would sign with.
const { privateKey: forgerKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

const TAMPER = {
  'gaplens-wrong-aud': (claims) => ({ ...claims, aud: 'another-app' }),
  'gaplens-expired': (claims) => {
    const now = Math.floor(Date.now() / 1000);
    return { ...claims, iat: now - 3600 - 600, exp: now - 600 };
  },
  'gaplens-wrong-nonce': (claims) => ({ ...claims, nonce: 'a nonce from another sign-in' }),
  'gaplens-wrong-iss': (claims) => ({ ...claims, iss: 'https://impostor.example' }),
  'gaplens-forged': (claims) => claims,
};

const client = (clientId) => ({
  client_id: clientId,
  client_secret: `${clientId}-secret`,
  redirect_uris: [`${rp}/login/sso/callback`],
  post_logout_redirect_uris: [`${rp}/`],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: ['gaplens', ...Object.keys(TAMPER)].map(client),
  jwks: { keys: [signingJwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // Entra ID and Okta put the groups in the ID token; so does this provider.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['a test cookie key that is long enough'] },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: account.name, email: account.email, email_verified: true, groups: account.groups };
      },
    };
  },
});

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !ctx.body || !ctx.body.id_token) return;
  const clientId = ctx.oidc?.client?.clientId;
  const tamper = TAMPER[clientId];
  if (!tamper) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(tamper(claims))
      .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'JWT' })
      .sign(clientId === 'gaplens-forged' ? forgerKey : privateKey),
  };
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
