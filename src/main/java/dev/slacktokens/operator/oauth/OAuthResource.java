package dev.slacktokens.operator.oauth;

import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
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
import dev.slacktokens.operator.reconciler.EventRecorder;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

/**
 * The browser-facing endpoints of the OAuth flow: the confirmation page and its button ({@code /oauth/start}) and
 * the callback. They run on every replica (the Ingress may route anywhere): they read the connection and write the
 * token store directly, and the leader's reconciler takes it from there. Every failure answers a specific 4xx/5xx
 * page, changes no Secret and leaves no new token live at Slack.
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
    private final EventRecorder events;
    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final Clock clock;

    OAuthResource(KubernetesClient client, StateKeys keys, AuthorizeLinks links, SlackApps apps, SlackClient slack,
            TokenStore store, EventRecorder events, OperatorConfig config, OperatorMetrics metrics, Clock clock) {
        this.events = events;
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

        Failure(int status, String title, String message, String next, long retryAfterSeconds) {
            super(title, null, false, false);
            this.page = Response.fromResponse(Pages.page(status, title, message, next))
                    .header("Retry-After", retryAfterSeconds).build();
        }
    }

    /**
     * The confirmation page: what will receive the token (namespace, connection, Secret, scopes, workspace), and a
     * button. Nothing is asked of Slack yet; the flow cookie is set here so that only a POST from this page (a
     * same-site request carrying the SameSite cookie) can continue to Slack.
     */
    @GET
    @Path("start")
    public Response start(@QueryParam("c") String link) {
        try {
            StateCodec.Claims claims = verify(link, StateCodec.Kind.link);
            SlackUserConnection connection = connection(claims);
            Optional<Secret> existing = store.fetch(claims.uid());
            requireCurrent(claims, existing);
            String clientId = clientId(connection);
            StateCodec codec = keys.codec();
            StateCodec.Claims state = codec.newState(claims.namespace(), claims.name(), claims.uid(),
                    claims.generation());
            var spec = connection.getSpec();
            String ns = claims.namespace();
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("SlackUserConnection", ns + "/" + claims.name());
            facts.put("Token goes to", "Secret " + ns + "/" + secretName(connection) + ", readable by workloads in "
                    + "namespace " + ns);
            facts.put("User scopes", String.join(", ", spec.getUserScopes()));
            if (spec.getBotScopes() != null && !spec.getBotScopes().isEmpty()) {
                facts.put("Bot scopes", String.join(", ", spec.getBotScopes()));
            }
            facts.put("Workspace", spec.getTeam() != null ? spec.getTeam() + " (checked after the consent)"
                    : "the one you choose in Slack");
            if (spec.getUser() != null) {
                facts.put("Slack user", spec.getUser() + " only");
            }
            facts.put("Slack app", clientId);
            String note = Rebinding.bound(existing.orElse(null)).map(bound -> TokenStore.parse(existing.get())
                    .isPresent()
                    ? "It is connected to Slack user " + bound + " now. A consent by that user renews its token; "
                            + "another Slack user is refused unless the connection's owner requested "
                            + "re-authorization (annotation " + Labels.REAUTHORIZE_REQUEST + ")."
                    : "It was connected to Slack user " + bound + ", whose tokens no longer work.").orElse(null);
            return Response.fromResponse(Pages.confirmation("Connect Slack to " + ns + "/" + claims.name() + "?",
                    "Continuing asks Slack for a user token for the connection below. Workloads that can read its "
                            + "Secret act in Slack as the user who consents, with these scopes.",
                    facts, note, links.oauthBase() + "/start", Map.of("state", codec.sign(state)),
                    "Continue to Slack"))
                    .cookie(cookie(codec.cookieValue(state.nonce()), (int) StateCodec.STATE_VALIDITY.toSeconds()))
                    .build();
        } catch (Failure f) {
            return f.page;
        }
    }

    /** The confirmation page's button: the same browser (flow cookie) goes on to Slack's consent. */
    @POST
    @Path("start")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response toSlack(@FormParam("state") String signedState, @CookieParam(COOKIE) String cookie) {
        try {
            StateCodec.Claims state = verify(signedState, StateCodec.Kind.state);
            SlackUserConnection connection = connection(state);
            requireCurrent(state, store.fetch(state.uid()));
            StateCodec codec = keys.codec();
            requireCookie(codec, cookie, state);
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
            return Response.seeOther(authorize.build())
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
            requireCurrent(claims, existing);
            requireCookie(codec, cookie, claims);
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
            Rebinding.Identity incoming = new Rebinding.Identity(grant.userId(),
                    grant.team().or(grant::enterprise).map(SlackRef::id).orElse(null));
            Rebinding.Verdict verdict = Rebinding.decide(existing.orElse(null),
                    connection.getMetadata().getAnnotations(), incoming);
            Optional<Rebinding.Identity> previous = Rebinding.bound(existing.orElse(null));
            if (verdict == Rebinding.Verdict.REFUSE) {
                revokeQuietly(grant);
                throw new Failure(409, "Connected to another Slack user", "SlackUserConnection " + who
                        + " is connected to Slack user " + previous.get() + ", and this consent came from another "
                        + "Slack user (" + incoming + "). A connection does not silently change hands: the tokens of "
                        + "this consent were revoked and nothing changed.", "If it should change hands, its owner "
                        + "requests a re-authorization (kubectl annotate suc " + claims.name() + " -n "
                        + claims.namespace() + " " + Labels.REAUTHORIZE_REQUEST + "=\"$(date +%s)\" --overwrite) and "
                        + "the new Slack user opens the new status.authorizeUrl.");
            }
            StoredTokens tokens = toStored(claims.uid(), grant, identity);
            save(connection, tokens, existing, consumed, grant);
            stillWanted(claims, grant);
            existing.flatMap(TokenStore::parse).ifPresent(this::revokeReplaced);
            if (verdict == Rebinding.Verdict.SWITCH) {
                String message = "Slack user " + previous.get() + " was replaced by " + incoming + " ("
                        + (Rebinding.reauthorizationPending(existing.get(), connection.getMetadata().getAnnotations())
                                ? "re-authorization was requested" : "the previous tokens no longer worked")
                        + ")";
                events.identityChanged(connection, message);
                LOG.warnf("Identity of %s changed: %s", who, message);
            }
            LOG.infof("Authorized %s: Slack user %s in %s", who, grant.userId(), where(grant));
            metrics.callback("success");
            return Response.fromResponse(Pages.page(200, "Connected", "Slack user "
                    + identity.userName().map(n -> n + " (" + grant.userId() + ")").orElse(grant.userId()) + " in "
                    + where(grant) + " is now connected to " + who + ".", "Workloads mount the Secret "
                    + connection.getMetadata().getNamespace() + "/" + secretName(connection)
                    + " (key access_token) as a volume; it is kept fresh. You can close this page."))
                    .cookie(cookie("", 0)).build();
        } catch (Failure f) {
            LOG.warnf("OAuth callback for %s refused: %s", who, f.getMessage());
            metrics.callback(f.getMessage().toLowerCase().replaceAll("[^a-z]+", "_"));
            return f.page;
        }
    }

    /** Writes the store compare-and-set; on any failure the new tokens are revoked, so none is left live. */
    private void save(SlackUserConnection connection, StoredTokens tokens, Optional<Secret> existing,
            String consumed, OAuthGrant grant) throws Failure {
        try {
            store.write(connection, tokens, existing.orElse(null), Map.of(Labels.CONSUMED_STATE, consumed));
        } catch (TokenStore.ConflictException e) {
            revokeQuietly(grant);
            throw new Failure(409, "Authorization raced another one", e.getMessage()
                    + "; the tokens of this attempt were revoked.",
                    "Reload status.authorizeUrl and consent again if the connection is not Ready.");
        } catch (RuntimeException e) {
            revokeQuietly(grant);
            String cause = e instanceof KubernetesClientException k && k.getCode() > 0 ? "HTTP " + k.getCode()
                    : e.getClass().getSimpleName();
            LOG.warnf("Could not write the token store of %s/%s: %s", connection.getMetadata().getNamespace(),
                    connection.getMetadata().getName(), cause);
            throw new Failure(503, "Could not save the authorization", "The Kubernetes API did not store the tokens "
                    + "(" + cause + "); the new tokens were revoked at Slack and nothing was stored.",
                    "Open status.authorizeUrl and consent again in a moment. If it keeps failing, the operator's log "
                            + "says more.");
        }
    }

    /**
     * After the write: the connection may have been deleted meanwhile, and its finalizer may have run before the
     * store existed. Then this callback is the last one to touch the store, so it revokes its tokens and removes it
     * (a finalizer that runs later finds the store and revokes it itself).
     */
    private void stillWanted(StateCodec.Claims claims, OAuthGrant grant) throws Failure {
        try {
            connection(claims);
        } catch (Failure gone) {
            revokeQuietly(grant);
            try {
                store.delete(claims.uid());
            } catch (KubernetesClientException e) {
                LOG.warnf("Could not delete the orphaned token store of %s/%s: HTTP %d", claims.namespace(),
                        claims.name(), e.getCode());
            }
            throw new Failure(410, "Connection gone", "SlackUserConnection " + claims.namespace() + "/"
                    + claims.name() + " no longer exists (it was deleted, or is being deleted, while this consent "
                    + "completed). The new tokens were revoked and nothing was kept.", null);
        }
    }

    /** A link or state is good for the next authorization only: refused once another one completed. */
    private static void requireCurrent(StateCodec.Claims claims, Optional<Secret> existing) throws Failure {
        if (claims.generation() != TokenStore.authorizations(existing.orElse(null))) {
            String who = claims.namespace() + "/" + claims.name();
            throw new Failure(410, "Link already used", (claims.kind() == StateCodec.Kind.link
                    ? "This authorize link of " + who + " was already used"
                    : "This consent was started from an authorize link of " + who + " that was already used")
                    + ": a link is good for one authorization.",
                    "Ask for a new one: kubectl get suc " + claims.name() + " -n " + claims.namespace()
                            + " -o jsonpath='{.status.authorizeUrl}' (published while the connection needs a consent;"
                            + " its owner can request one with the annotation " + Labels.REAUTHORIZE_REQUEST + ").");
        }
    }

    private static void requireCookie(StateCodec codec, String cookie, StateCodec.Claims claims) throws Failure {
        String who = claims.namespace() + "/" + claims.name();
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
    }

    /** Revokes the tokens a new authorization replaced (user and bot pairs; best effort, dead ones count). */
    private void revokeReplaced(StoredTokens replaced) {
        List<SlackToken> tokens = new java.util.ArrayList<>();
        tokens.add(replaced.accessToken());
        replaced.refreshToken().ifPresent(tokens::add);
        replaced.bot().ifPresent(b -> {
            tokens.add(b.accessToken());
            b.refreshToken().ifPresent(tokens::add);
        });
        revokeAll(tokens, "replaced");
    }

    private static String secretName(SlackUserConnection connection) {
        return connection.getSpec().getSecretName() != null ? connection.getSpec().getSecretName()
                : connection.getMetadata().getName();
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
        } catch (SlackRateLimitedException e) {
            if (!e.local()) {
                throw slackUnavailable(e);
            }
            long seconds = Math.max(1, e.retryAfter().toSeconds());
            // Slack was not called, so the code is still good: reloading this page soon completes the consent.
            throw new Failure(503, "Too many authorizations at once", "Slack was not called: this operator's own "
                    + "limit of " + config.slack().oauthAccessPerMinute() + " oauth.v2.access call(s) per minute "
                    + "(slack-operator.slack.oauth-access-per-minute, shared with token refreshes) is used up. No "
                    + "token was issued.", "Reload this page in " + seconds + " s (the authorization code stays valid "
                    + "for 10 minutes), or open status.authorizeUrl again later.", seconds);
        } catch (SlackApiException e) {
            throw slackUnavailable(e);
        }
    }

    private static Failure slackUnavailable(SlackApiException e) {
        return new Failure(503, "Slack unavailable", "Slack could not be reached or is failing (" + e.error()
                + "). No token was stored.", "Open status.authorizeUrl and consent again in a moment.");
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
        revokeAll(tokens, "rejected");
    }

    private void revokeAll(List<SlackToken> tokens, String what) {
        for (SlackToken token : tokens) {
            try {
                slack.revoke(token);
            } catch (SlackApiException e) {
                LOG.warnf("Could not revoke a %s %s token: %s", what, token, e.getMessage());
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
        return flowCookie(links.publicUrl(), value, maxAge);
    }

    /** The flow cookie, for the browser that reaches this operator at {@code publicUrl}. */
    static NewCookie flowCookie(URI publicUrl, String value, int maxAge) {
        boolean plainLocal = "http".equals(publicUrl.getScheme());
        String prefix = publicUrl.getRawPath() == null ? "" : publicUrl.getRawPath().replaceAll("/+$", "");
        return new NewCookie.Builder(COOKIE).value(value).path(prefix + "/oauth").maxAge(maxAge).httpOnly(true)
                .secure(!plainLocal).sameSite(NewCookie.SameSite.LAX).build();
    }
}
