// A throw-away OpenID provider for the staff sign-in tests (guichet/staffauth/tests/conftest.py):
// `node oidc_provider.mjs PORT REDIRECT_ORIGIN` serves http://127.0.0.1:PORT with invented
// accounts. The account signing in is the authorization request's login_hint (no login form).
// Test-only endpoints: POST /test/disable/<account>, POST /test/sign (any claims, signed with
// the provider's key, to forge tokens the provider never issued).
import http from "node:http";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import Provider, { interactionPolicy } from "oidc-provider";

const [port, origin] = [Number(process.argv[2]), process.argv[3]];
const issuer = `http://127.0.0.1:${port}`;
const accounts = {
  alice: {
    email: "alice.martin@ville.example.org", email_verified: true, given_name: "Alice",
    family_name: "Martin", preferred_username: "amartin", groups: ["guichet-gestion"],
    acr: "urn:example:mfa", amr: ["pwd", "otp"],
  },
  bruno: {
    email: "bruno.petit@ville.example.org", email_verified: true, given_name: "Bruno",
    family_name: "Petit", preferred_username: "bpetit", groups: ["compta"],
    acr: "urn:example:mfa", amr: ["pwd", "otp"],
  },
  chloe: {
    email: "chloe.roux@ville.example.org", email_verified: true, given_name: "Chloé",
    family_name: "Roux", preferred_username: "croux", groups: ["guichet-gestion"],
    acr: "urn:example:pwd", amr: ["pwd"],
  },
  // Disabled by test_a_disabled_identity_loses_access_at_the_next_renewal.
  felix: {
    email: "felix.moreau@ville.example.org", email_verified: true, given_name: "Félix",
    family_name: "Moreau", preferred_username: "fmoreau", groups: ["guichet-gestion"],
    acr: "urn:example:mfa", amr: ["pwd", "otp"],
  },
  // Entra ID past 200 groups: a pointer instead of the groups claim.
  damien: {
    email: "damien.leroy@ville.example.org", email_verified: true, given_name: "Damien",
    family_name: "Leroy", preferred_username: "dleroy", acr: "urn:example:mfa", amr: ["mfa"],
    _claim_names: { groups: "src1" },
    _claim_sources: { src1: { endpoint: `${issuer}/graph/groups` } },
  },
  // ProConnect-like: no groups, an e-mail domain and a SIRET.
  emma: {
    email: "emma.blanc@agglo.example.org", email_verified: true, given_name: "Emma",
    family_name: "Blanc", preferred_username: "eblanc", siret: "21000000000001",
    acr: "urn:example:mfa", amr: ["mfa"],
  },
};
const disabled = new Set();

// A session whose account was disabled must sign in again (prompt=none: login_required).
const policy = interactionPolicy.base();
const { Check } = interactionPolicy;
policy.get("login").checks.add(
  new Check("account_disabled", "the account is disabled", "login_required", (ctx) =>
    ctx.oidc.session.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT),
);

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [
    ...["guichet", "guichet-jwt"].map((clientId) => ({
      client_id: clientId,
      client_secret: "guichet-test-secret",
      redirect_uris: [`${origin}/oidc/callback/`],
      post_logout_redirect_uris: [`${origin}/admin/login/`],
      token_endpoint_auth_method: "client_secret_post",
      // The second client gets its userinfo as a signed JWT.
      ...(clientId === "guichet-jwt" ? { userinfo_signed_response_alg: "RS256" } : {}),
    })),
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ["test-only-cookie-key"] },
  acrValues: ["urn:example:mfa", "urn:example:pwd"],
  claims: {
    openid: ["sub", "amr"],
    email: ["email", "email_verified"],
    profile: ["given_name", "family_name", "preferred_username"],
    groups: ["groups", "_claim_names", "_claim_sources"],
    siret: ["siret"],
  },
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    jwtUserinfo: { enabled: true },
  },
  pkce: { required: () => false },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!accounts[id] || disabled.has(id)) return undefined;
    const { acr, amr, ...claims } = accounts[id];
    return { accountId: id, claims: async () => ({ sub: `sub-${id}`, ...claims }) };
  },
});

provider.on("server_error", (ctx, error) => console.error("server_error", error));

provider.use(async (ctx, next) => {
  const interaction = ctx.path.match(/^\/interaction\/([^/]+)$/);
  const disable = ctx.path.match(/^\/test\/disable\/([^/]+)$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params } = details;
    let result;
    if (prompt.name === "login") {
      const id = params.login_hint;
      result = accounts[id] && !disabled.has(id)
        ? { login: { accountId: id, acr: accounts[id].acr, amr: accounts[id].amr } }
        : { error: "access_denied", error_description: "unknown account" };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      grant.addOIDCScope(params.scope);
      result = { consent: { grantId: await grant.save() } };
    }
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result));
  } else if (disable && ctx.method === "POST") {
    disabled.add(disable[1]);
    ctx.status = 204;
  } else if (ctx.path === "/test/sign" && ctx.method === "POST") {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const claims = JSON.parse(Buffer.concat(chunks).toString());
    ctx.body = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .sign(privateKey);
  } else {
    await next();
  }
});

http.createServer(provider.callback()).listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
