package dev.slacktokens.operator.oauth;

import java.net.URI;
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
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.store.WorkloadSecrets;
import org.jboss.logging.Logger;

/**
 * The browser-facing endpoints of the OAuth flow: the confirmation page and its button ({@code /oauth/start}) and
 * the callback. They run on every replica (the Ingress may route anywhere): they parse, verify the signed link or
 * state and the flow cookie, and hand a consent to {@link Consent}; the leader's reconciler takes it from there.
 * Every failure is a {@link Refusal}: a specific 4xx/5xx page and a metric label; none changes a Secret or leaves a
 * new token live at Slack.
 */
@Path("/oauth")
@Produces(MediaType.TEXT_HTML)
public class OAuthResource {

    private static final Logger LOG = Logger.getLogger(OAuthResource.class);
    static final String COOKIE = "slacktokens_oauth";
    /**
     * The flow cookie's name behind https: the {@code __Host-} prefix makes browsers refuse it unless it was set by
     * this very host, Secure, with Path=/ and no Domain, so a host under the same registrable domain cannot plant one.
     */
    static final String HOST_COOKIE = "__Host-" + COOKIE;

    @Inject
    StateKeys keys;
    @Inject
    AuthorizeLinks links;
    @Inject
    SlackApps apps;
    @Inject
    TokenStore store;
    @Inject
    Consent consent;
    @Inject
    OperatorConfig config;
    @Inject
    OperatorMetrics metrics;

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
            SlackUserConnection connection = consent.connection(claims);
            Optional<StoreState> existing = store.fetch(claims.uid());
            requireCurrent(claims, existing);
            String clientId = clientId(connection);
            StateCodec codec = keys.codec();
            StateCodec.Claims state = codec.newState(claims.namespace(), claims.name(), claims.uid(),
                    claims.generation());
            var spec = connection.getSpec();
            String ns = claims.namespace();
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("SlackUserConnection", ns + "/" + claims.name());
            facts.put("Token goes to", "Secret " + ns + "/" + WorkloadSecrets.name(connection) + ", readable by "
                    + "workloads in namespace " + ns);
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
            String note = Rebinding.bound(existing.orElse(null)).map(bound -> existing.get().tokens().isPresent()
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
        } catch (Refusal.Failure f) {
            return refusedBeforeSlack("link", f);
        }
    }

    /** The confirmation page's button: the same browser (flow cookie) goes on to Slack's consent. */
    @POST
    @Path("start")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response toSlack(@FormParam("state") String signedState, @CookieParam(HOST_COOKIE) String hostCookie,
            @CookieParam(COOKIE) String plainCookie) {
        String cookie = flowCookieValue(links.publicUrl(), hostCookie, plainCookie);
        try {
            StateCodec.Claims state = verify(signedState, StateCodec.Kind.state);
            SlackUserConnection connection = consent.connection(state);
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
        } catch (Refusal.Failure f) {
            return refusedBeforeSlack("continue", f);
        }
    }

    /**
     * A refusal on the confirmation page or its button: logged at INFO (a stale link is a normal thing for a user to
     * open; the callback's refusals, after a consent, are WARN) and counted, then shown.
     */
    private Response refusedBeforeSlack(String step, Refusal.Failure f) {
        LOG.infof("OAuth %s refused (%s): %s", "link".equals(step) ? "link" : "confirmation", f.refusal.label(),
                f.describe());
        metrics.startRefused(step, f.refusal.label());
        return f.page();
    }

    @GET
    @Path("callback")
    public Response callback(@QueryParam("code") String code, @QueryParam("state") String state,
            @QueryParam("error") String error, @CookieParam(HOST_COOKIE) String hostCookie,
            @CookieParam(COOKIE) String plainCookie) {
        String cookie = flowCookieValue(links.publicUrl(), hostCookie, plainCookie);
        String who = "unknown connection";
        try {
            StateCodec.Claims claims = verify(state, StateCodec.Kind.state);
            who = claims.namespace() + "/" + claims.name();
            SlackUserConnection connection = consent.connection(claims);
            StateCodec codec = keys.codec();
            String consumed = codec.cookieValue(claims.nonce());
            Optional<StoreState> existing = store.fetch(claims.uid());
            if (existing.flatMap(StoreState::consumedState).filter(consumed::equals).isPresent()) {
                throw Refusal.ALREADY_CONNECTED.because("This authorization of " + who + " was already completed; "
                        + "replaying it changes nothing.", null);
            }
            requireCurrent(claims, existing);
            requireCookie(codec, cookie, claims);
            if (error != null) {
                throw "access_denied".equals(error)
                        ? Refusal.DECLINED.because("The Slack user declined to authorize " + who + ". No token was "
                                + "issued.", "Open the link from status.authorizeUrl again to retry.")
                        : Refusal.SLACK_ERROR.because("Slack answered '" + error + "' for " + who + ".",
                                "Check the Slack app's settings (scopes, redirect URL) and retry.");
            }
            if (code == null || code.isBlank()) {
                throw Refusal.NO_CODE.because("Slack's redirect carried no code.", null);
            }
            Optional<String> verifier = Boolean.TRUE.equals(connection.getSpec().getPkce())
                    ? Optional.of(codec.pkceVerifier(claims.nonce())) : Optional.empty();
            Consent.Completed done = consent.complete(connection, credentials(connection), claims, code, verifier,
                    existing, consumed);
            metrics.callback("success");
            var grant = done.grant();
            return Response.fromResponse(Pages.page(200, "Connected", "Slack user "
                    + done.identity().userName().map(n -> n + " (" + grant.userId() + ")").orElse(grant.userId())
                    + " in " + Grants.where(grant.team(), grant.enterprise()) + " is now connected to " + who + ".",
                    "Workloads mount the Secret " + connection.getMetadata().getNamespace() + "/"
                            + WorkloadSecrets.name(connection) + " (key access_token) as a volume; it is kept fresh. "
                            + "You can close this page."))
                    .cookie(cookie("", 0)).build();
        } catch (Refusal.Failure f) {
            LOG.warnf("OAuth callback for %s refused (%s): %s", who, f.refusal.label(), f.describe());
            metrics.callback(f.refusal.label());
            return f.page();
        }
    }

    /** A link or state is good for the next authorization only: refused once another one completed. */
    private static void requireCurrent(StateCodec.Claims claims, Optional<StoreState> existing)
            throws Refusal.Failure {
        if (claims.generation() != existing.map(StoreState::authorizations).orElse(0L)) {
            String who = claims.namespace() + "/" + claims.name();
            throw Refusal.LINK_USED.because((claims.kind() == StateCodec.Kind.link
                    ? "This authorize link of " + who + " was already used"
                    : "This consent was started from an authorize link of " + who + " that was already used")
                    + ": a link is good for one authorization.",
                    "Ask for a new one: kubectl get suc " + claims.name() + " -n " + claims.namespace()
                            + " -o jsonpath='{.status.authorizeUrl}' (published while the connection needs a consent;"
                            + " its owner can request one with the annotation " + Labels.REAUTHORIZE_REQUEST + ").");
        }
    }

    private static void requireCookie(StateCodec codec, String cookie, StateCodec.Claims claims)
            throws Refusal.Failure {
        String who = claims.namespace() + "/" + claims.name();
        if (cookie == null) {
            throw Refusal.OTHER_BROWSER.because("The browser that finished the consent is not the one that started "
                    + "it (no flow cookie).", "Open the link from status.authorizeUrl of " + who + " in this browser "
                    + "and consent again.");
        }
        if (!codec.cookieMatches(cookie, claims.nonce())) {
            throw Refusal.OTHER_BROWSER.because("The flow cookie does not belong to this authorization: it was "
                    + "started in another tab or browser.", "Open the link from status.authorizeUrl of " + who
                    + " again and finish in the same tab.");
        }
    }

    private StateCodec.Claims verify(String signed, StateCodec.Kind kind) throws Refusal.Failure {
        try {
            return keys.codec().verify(signed, kind);
        } catch (StateCodec.InvalidException e) {
            String what = kind == StateCodec.Kind.link ? "authorize link" : "OAuth state";
            if (e.problem() == StateCodec.Problem.EXPIRED) {
                throw Refusal.LINK_EXPIRED.because("This " + what + " has expired"
                        + (kind == StateCodec.Kind.state ? " (a consent must finish within 10 minutes)." : "."),
                        "Get the current link: kubectl get suc NAME -o jsonpath='{.status.authorizeUrl}'");
            }
            throw (kind == StateCodec.Kind.link ? Refusal.INVALID_LINK : Refusal.INVALID_STATE).because("This "
                    + what + " is not one this operator issued (" + e.problem().name().toLowerCase().replace('_', ' ')
                    + ").", "Use the link from status.authorizeUrl of your SlackUserConnection.");
        }
    }

    private String clientId(SlackUserConnection connection) throws Refusal.Failure {
        try {
            return apps.clientId(connection);
        } catch (SlackApps.UnusableAppException e) {
            throw misconfigured(e);
        }
    }

    private ClientCredentials credentials(SlackUserConnection connection) throws Refusal.Failure {
        try {
            return apps.credentials(connection);
        } catch (SlackApps.UnusableAppException e) {
            throw misconfigured(e);
        }
    }

    private static Refusal.Failure misconfigured(SlackApps.UnusableAppException e) {
        return Refusal.MISCONFIGURED.because(e.getMessage() + ".",
                "Ask the owner of the SlackUserConnection to fix it (kubectl describe suc shows the same).");
    }

    private NewCookie cookie(String value, int maxAge) {
        return flowCookie(links.publicUrl(), value, maxAge);
    }

    /**
     * The flow cookie, for the browser that reaches this operator at {@code publicUrl}: behind https a
     * {@code __Host-} cookie (Secure, Path=/, host-only); over plain http (a local try-out) a cookie scoped to the
     * public URL's {@code /oauth} path, since browsers refuse Secure cookies there.
     */
    static NewCookie flowCookie(URI publicUrl, String value, int maxAge) {
        if (!"http".equals(publicUrl.getScheme())) {
            return new NewCookie.Builder(HOST_COOKIE).value(value).path("/").maxAge(maxAge).httpOnly(true)
                    .secure(true).sameSite(NewCookie.SameSite.LAX).build();
        }
        String prefix = publicUrl.getRawPath() == null ? "" : publicUrl.getRawPath().replaceAll("/+$", "");
        return new NewCookie.Builder(COOKIE).value(value).path(prefix + "/oauth").maxAge(maxAge).httpOnly(true)
                .secure(false).sameSite(NewCookie.SameSite.LAX).build();
    }

    /**
     * The flow cookie a request carries: behind https only the {@code __Host-} one counts (a cookie without the prefix
     * may have been planted by a sibling host); over plain http the plain one.
     */
    static String flowCookieValue(URI publicUrl, String hostCookie, String plainCookie) {
        return "http".equals(publicUrl.getScheme()) ? plainCookie : hostCookie;
    }
}
