// A real OpenID provider on loopback for the test suite: the npm package oidc-provider with its own
// sign-in pages, a few test clients and people, and one extra route to change a person's groups or
// disable them between sign-ins. Started by tests/oidc.py; prints "ready <issuer>" once it listens.
//
//   node tests/oidc_provider.mjs <port>
//
// Any login name that is a key of ACCOUNTS signs in (the password is not checked); a disabled
// person, or a name not listed, is refused by the provider.
import Provider from "oidc-provider";

const port = Number(process.argv[2] || 0);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  cto: { email: "claire.dupont@example.test", name: "Claire Dupont", groups: ["dr-cto"] },
  admin: { email: "it-admin@example.test", name: "Ines Admin", groups: ["dr-admins"] },
  engineer: { email: "jan.peeters@example.test", name: "Jan Peeters", groups: ["dr-it", "staff"] },
  auditor: { email: "auditor@example.test", name: "Alex Auditor", groups: ["auditors"] },
  visitor: { email: "visitor@example.test", name: "Vera Visitor", groups: ["marketing"] },
  leaver: { email: "leaver@example.test", name: "Lou Leaver", groups: ["dr-it"], disabled: true },
};

// The test clients: Drillbook itself, a second one whose tokens must not open Drillbook, and one whose
// ID tokens expire after a second.
const CLIENTS = ["drillbook", "intruder", "drillbook-expired"].map((id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  redirect_uris: ["http://localhost/auth/oidc/callback"],
  post_logout_redirect_uris: ["http://localhost/login"],
  grant_types: ["authorization_code"],
  response_types: ["code"],
}));

const provider = new Provider(issuer, {
  clients: CLIENTS,
  pkce: { required: () => true },
  scopes: ["openid", "email", "profile", "groups"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  conformIdTokenClaims: false,
  cookies: { keys: ["drillbook-test-provider-cookie-key"] },
  ttl: {
    IdToken: (ctx, token, client) => (client && client.clientId === "drillbook-expired" ? 1 : 3600),
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Sign out</title></head><body><main>
          <h1>Sign out of the test provider?</h1>${form}
          <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          </main></body></html>`;
      },
    },
  },
  async findAccount(ctx, id) {
    const person = ACCOUNTS[id];
    if (!person || person.disabled) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: person.email, email_verified: true, name: person.name, groups: person.groups };
      },
    };
  },
  // First-party clients: the person is never asked to consent.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile groups");
    await grant.save();
    return grant;
  },
});

// Redirects back to any Drillbook served on loopback, whatever its port: the suite's live servers.
for (const method of ["redirectUriAllowed", "postLogoutRedirectUriAllowed"]) {
  const allowed = provider.Client.prototype[method];
  provider.Client.prototype[method] = function (value) {
    const url = new URL(value);
    if (url.hostname === "127.0.0.1" && ["/auth/oidc/callback", "/login"].includes(url.pathname)) return true;
    return allowed.call(this, value);
  };
}

// PUT /test/accounts/<id> with {"groups": [...], "disabled": bool}: what an identity administrator would change.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/test\/accounts\/([\w-]+)$/);
  if (!match || ctx.method !== "PUT") return next();
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const change = JSON.parse(Buffer.concat(chunks).toString() || "{}");
  ACCOUNTS[match[1]] = { ...(ACCOUNTS[match[1]] || { email: `${match[1]}@example.test`, name: match[1] }), ...change };
  ctx.status = 204;
});

const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
