package dev.slacktokens.operator.oauth;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.slack.AuthIdentity;
import dev.slacktokens.operator.slack.OAuthGrant;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

/**
 * The two browser-facing endpoints of the OAuth flow. They run on every replica (the Ingress may route anywhere):
 * they read the connection and write the token store directly, and the leader's reconciler takes it from there.
 * Every failure answers a specific 4xx/5xx page and changes no Secret.
 */
@Path("/oauth")
@Produces(MediaType.TEXT_HTML)
public class OAuthResource {

    private static final Logger LOG = Logger.getLogger(OAuthResource.class);
    static final String COOKIE = "slacktokens_oauth";

    private final KubernetesClient client;
    private final StateKeys keys;
    private final AuthorizeLinks links;
    private final SlackApps apps;
    private final SlackClient slack;
    private final TokenStore store;
    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final Clock clock;

    OAuthResource(KubernetesClient client, StateKeys keys, AuthorizeLinks links, SlackApps apps, SlackClient slack,
            TokenStore store, OperatorConfig config, OperatorMetrics metrics, Clock clock) {
        this.client = client;
        this.keys = keys;
        this.links = links;
        this.apps = apps;
        this.slack = slack;
        this.store = store;
        this.config = config;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** A failure page, raised from deep inside the flow. */
    static final class Failure extends Exception {
        final Response page;

        Failure(int status, String title, String message, String next) {
            super(title, null, false, false);
            this.page = Pages.page(status, title, message, next);
        }
    }

    @GET
    @Path("start")
    public Response start(@QueryParam("c") String link) {
        try {
            StateCodec.Claims claims = verify(link, StateCodec.Kind.link);
            SlackUserConnection connection = connection(claims);
            StateCodec codec = keys.codec();
            StateCodec.Claims state = codec.newState(claims.namespace(), claims.name(), claims.uid());
            var spec = connection.getSpec();
            UriBuilder authorize = UriBuilder.fromUri(config.slack().baseUrl()).path("/oauth/v2/authorize")
                    .queryParam("client_id", clientId(connection))
                    .queryParam("scope", String.join(",", spec.getBotScopes() == null ? List.of() : spec.getBotScopes()))
                    .queryParam("user_scope", String.join(",", spec.getUserScopes()))
                    .queryParam("redirect_uri", links.redirectUri(connection))
                    .queryParam("state", codec.sign(state));
            if (spec.getTeam() != null) {
                authorize.queryParam("team", spec.getTeam());
            }
            if (Boolean.TRUE.equals(spec.getPkce())) {
                authorize.queryParam("code_challenge", StateCodec.pkceChallenge(codec.pkceVerifier(state.nonce())))
                        .queryParam("code_challenge_method", "S256");
            }
            return Response.status(Response.Status.FOUND).location(authorize.build())
                    .cookie(cookie(codec.cookieValue(state.nonce()), (int) StateCodec.STATE_VALIDITY.toSeconds()))
                    .header("Cache-Control", "no-store").header("Referrer-Policy", "no-referrer").build();
        } catch (Failure f) {
            return f.page;
        }
    }

    @GET
    @Path("callback")
    public Response callback(@QueryParam("code") String code, @QueryParam("state") String state,
            @QueryParam("error") String error, @CookieParam(COOKIE) String cookie) {
        String who = "unknown connection";
        try {
            StateCodec.Claims claims = verify(state, StateCodec.Kind.state);
            who = claims.namespace() + "/" + claims.name();
            SlackUserConnection connection = connection(claims);
            StateCodec codec = keys.codec();
            String consumed = codec.cookieValue(claims.nonce());
            Optional<Secret> existing = store.fetch(claims.uid());
            if (existing.map(s -> s.getMetadata().getAnnotations())
                    .map(a -> consumed.equals(a.get(Labels.CONSUMED_STATE))).orElse(false)) {
                throw new Failure(409, "Already connected", "This authorization of " + who
                        + " was already completed; replaying it changes nothing.", null);
            }
            if (cookie == null) {
                throw new Failure(400, "Start again in this browser", "The browser that finished the consent is not "
                        + "the one that started it (no flow cookie).", "Open the link from status.authorizeUrl of "
                        + who + " in this browser and consent again.");
            }
            if (!codec.cookieMatches(cookie, claims.nonce())) {
                throw new Failure(400, "Start again in this browser", "The flow cookie does not belong to this "
                        + "authorization: it was started in another tab or browser.", "Open the link from "
                        + "status.authorizeUrl of " + who + " again and finish in the same tab.");
            }
            if (error != null) {
                throw "access_denied".equals(error)
                        ? new Failure(403, "Authorization declined", "The Slack user declined to authorize " + who
                                + ". No token was issued.", "Open the link from status.authorizeUrl again to retry.")
                        : new Failure(400, "Slack reported an error", "Slack answered '" + error + "' for " + who
                                + ".", "Check the Slack app's settings (scopes, redirect URL) and retry.");
            }
            if (code == null || code.isBlank()) {
                throw new Failure(400, "No authorization code", "Slack's redirect carried no code.", null);
            }
            var credentials = credentials(connection);
            OAuthGrant grant = exchange(connection, credentials, code, claims, codec);
            checkIdentity(connection, grant);
            AuthIdentity identity = confirm(grant);
            StoredTokens tokens = toStored(claims.uid(), grant, identity);
            try {
                store.write(connection, tokens, existing.orElse(null), Map.of(Labels.CONSUMED_STATE, consumed));
            } catch (TokenStore.ConflictException e) {
                revokeQuietly(grant);
                throw new Failure(409, "Authorization raced another one", e.getMessage()
                        + "; the tokens of this attempt were revoked.",
                        "Reload status.authorizeUrl and consent again if the connection is not Ready.");
            }
            LOG.infof("Authorized %s: Slack user %s in %s", who, grant.userId(), where(grant));
            metrics.callback("success");
            String secretName = connection.getSpec().getSecretName() != null ? connection.getSpec().getSecretName()
                    : connection.getMetadata().getName();
            return Response.fromResponse(Pages.page(200, "Connected", "Slack user "
                    + identity.userName().map(n -> n + " (" + grant.userId() + ")").orElse(grant.userId()) + " in "
                    + where(grant) + " is now connected to " + who + ".", "Workloads mount the Secret "
                    + connection.getMetadata().getNamespace() + "/" + secretName
                    + " (key access_token) as a volume; it is kept fresh. You can close this page."))
                    .cookie(cookie("", 0)).build();
        } catch (Failure f) {
            LOG.warnf("OAuth callback for %s refused: %s", who, f.getMessage());
            metrics.callback(f.getMessage().toLowerCase().replaceAll("[^a-z]+", "_"));
            return f.page;
        }
    }

    private StateCodec.Claims verify(String signed, StateCodec.Kind kind) throws Failure {
        try {
            return keys.codec().verify(signed, kind);
        } catch (StateCodec.InvalidException e) {
            String what = kind == StateCodec.Kind.link ? "authorize link" : "OAuth state";
            throw switch (e.problem()) {
                case EXPIRED -> new Failure(400, "Link expired", "This " + what + " has expired"
                        + (kind == StateCodec.Kind.state ? " (a consent must finish within 10 minutes)." : "."),
                        "Get the current link: kubectl get suc NAME -o jsonpath='{.status.authorizeUrl}'");
                default -> new Failure(400, "Invalid " + what, "This " + what + " is not one this operator issued "
                        + "(" + e.problem().name().toLowerCase().replace('_', ' ') + ").",
                        "Use the link from status.authorizeUrl of your SlackUserConnection.");
            };
        }
    }

    private SlackUserConnection connection(StateCodec.Claims claims) throws Failure {
        SlackUserConnection connection = client.resources(SlackUserConnection.class)
                .inNamespace(claims.namespace()).withName(claims.name()).get();
        String who = claims.namespace() + "/" + claims.name();
        if (connection == null || connection.getMetadata().getDeletionTimestamp() != null) {
            throw new Failure(410, "Connection gone", "SlackUserConnection " + who + " no longer exists"
                    + (connection == null ? "." : " (it is being deleted)."), null);
        }
        if (!claims.uid().equals(connection.getMetadata().getUid())) {
            throw new Failure(410, "Connection re-created", "SlackUserConnection " + who + " was deleted and created "
                    + "again since this link was issued.", "Use the new link in its status.authorizeUrl.");
        }
        return connection;
    }

    private String clientId(SlackUserConnection connection) throws Failure {
        try {
            return apps.clientId(connection);
        } catch (SlackApps.UnusableAppException e) {
            throw misconfigured(e);
        }
    }

    private dev.slacktokens.operator.slack.ClientCredentials credentials(SlackUserConnection connection)
            throws Failure {
        try {
            return apps.credentials(connection);
        } catch (SlackApps.UnusableAppException e) {
            throw misconfigured(e);
        }
    }

    private static Failure misconfigured(SlackApps.UnusableAppException e) {
        return new Failure(409, "Connection misconfigured", e.getMessage() + ".",
                "Ask the owner of the SlackUserConnection to fix it (kubectl describe suc shows the same).");
    }

    private OAuthGrant exchange(SlackUserConnection connection, dev.slacktokens.operator.slack.ClientCredentials app,
            String code, StateCodec.Claims claims, StateCodec codec) throws Failure {
        Optional<String> verifier = Boolean.TRUE.equals(connection.getSpec().getPkce())
                ? Optional.of(codec.pkceVerifier(claims.nonce())) : Optional.empty();
        try {
            return slack.exchangeCode(app, code, links.redirectUri(connection), verifier);
        } catch (SlackPermanentException e) {
            if (e.isInvalidGrant()) {
                throw new Failure(400, "Code expired or used", "Slack refused the authorization code (" + e.error()
                        + "): it is single-use and valid for 10 minutes.", "Open status.authorizeUrl and consent again.");
            }
            if (e.isInvalidClient()) {
                throw new Failure(502, "Slack rejected the app", "Slack refused the Slack app's credentials ("
                        + e.error() + ").", "Check the client id and client secret the operator uses.");
            }
            throw new Failure(502, "Slack refused the exchange", "Slack answered '" + e.error() + "'.",
                    e.error().contains("redirect") ? "The redirect URI must match a Redirect URL of the Slack app."
                            : "Check the Slack app's OAuth settings and retry.");
        } catch (SlackApiException e) {
            throw new Failure(503, "Slack unavailable", "Slack could not be reached or is failing (" + e.error()
                    + "). No token was stored.", "Open status.authorizeUrl and consent again in a moment.");
        }
    }

    private void checkIdentity(SlackUserConnection connection, OAuthGrant grant) throws Failure {
        String team = connection.getSpec().getTeam();
        String user = connection.getSpec().getUser();
        String actualTeam = grant.team().map(SlackRef::id).orElse(null);
        String actualOrg = grant.enterprise().map(SlackRef::id).orElse(null);
        boolean teamOk = team == null || team.equals(actualTeam) || team.equals(actualOrg);
        boolean userOk = user == null || user.equals(grant.userId());
        if (!teamOk || !userOk) {
            revokeQuietly(grant);
            throw new Failure(403, "Wrong Slack identity", (teamOk ? "" : "This connection expects workspace " + team
                    + " but the consent was given in " + where(grant) + ". ") + (userOk ? "" : "This connection "
                    + "expects Slack user " + user + " but " + grant.userId() + " consented. ")
                    + "The tokens were revoked and nothing was stored.",
                    "Sign in to Slack as the expected user and workspace, then open status.authorizeUrl again.");
        }
    }

    private AuthIdentity confirm(OAuthGrant grant) throws Failure {
        try {
            AuthIdentity identity = slack.authTest(grant.userToken().accessToken());
            if (!identity.userId().equals(grant.userId())) {
                revokeQuietly(grant);
                throw new Failure(502, "Slack identity mismatch", "auth.test names a different user than the "
                        + "exchange; the tokens were revoked.", "Consent again.");
            }
            return identity;
        } catch (SlackApiException e) {
            revokeQuietly(grant);
            throw new Failure(503, "Could not confirm the token", "Slack's auth.test failed (" + e.error()
                    + "); the new tokens were revoked and nothing was stored.", "Open status.authorizeUrl again.");
        }
    }

    private void revokeQuietly(OAuthGrant grant) {
        List<SlackToken> tokens = new java.util.ArrayList<>();
        tokens.add(grant.userToken().accessToken());
        grant.userToken().refreshToken().ifPresent(tokens::add);
        grant.bot().ifPresent(b -> {
            tokens.add(b.token().accessToken());
            b.token().refreshToken().ifPresent(tokens::add);
        });
        for (SlackToken token : tokens) {
            try {
                slack.revoke(token);
            } catch (SlackApiException e) {
                LOG.warnf("Could not revoke a rejected %s token: %s", token, e.getMessage());
            }
        }
    }

    private StoredTokens toStored(String uid, OAuthGrant grant, AuthIdentity identity) {
        // Whole seconds: Slack's expires_in is in seconds, and RFC 3339 without fractions reads better everywhere.
        var now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        var user = grant.userToken();
        return new StoredTokens(uid, user.accessToken(), user.refreshToken(), user.expiresAt(now), user.scopes(),
                grant.userId(), identity.userName(), grant.team().map(SlackRef::id),
                grant.team().flatMap(SlackRef::name).or(identity::teamName), grant.enterprise().map(SlackRef::id),
                grant.enterprise().flatMap(SlackRef::name), Optional.ofNullable(grant.appId()),
                grant.bot().map(b -> new StoredTokens.BotTokens(b.token().accessToken(), b.token().refreshToken(),
                        b.token().expiresAt(now), b.botUserId() == null ? "" : b.botUserId(), b.token().scopes(),
                        now)),
                now, null);
    }

    private static String where(OAuthGrant grant) {
        return grant.team().map(t -> "workspace " + t.name().map(n -> n + " (" + t.id() + ")").orElse(t.id()))
                .orElseGet(() -> "organization " + grant.enterprise().map(SlackRef::id).orElse("?"));
    }

    private NewCookie cookie(String value, int maxAge) {
        URI base = links.publicUrl();
        boolean plainLocal = "http".equals(base.getScheme());
        return new NewCookie.Builder(COOKIE).value(value).path("/oauth").maxAge(maxAge).httpOnly(true)
                .secure(!plainLocal).sameSite(NewCookie.SameSite.LAX).build();
    }
}
