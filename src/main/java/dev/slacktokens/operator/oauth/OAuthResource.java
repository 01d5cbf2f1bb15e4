package dev.slacktokens.operator.oauth;

import java.net.URI;
import java.util.ArrayList;
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
import dev.slacktokens.operator.connection.AuthorizeLinks;
import dev.slacktokens.operator.connection.SlackApps;
import dev.slacktokens.operator.connection.StateCodec;
import dev.slacktokens.operator.connection.StateKeys;
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
            List<Pages.Fact> facts = new ArrayList<>();
            facts.add(Pages.Fact.of("Slack app", appName(connection, clientId)));
            facts.add(Pages.Fact.of("Workspace", spec.getTeam() != null ? spec.getTeam() + " only (checked after "
                    + "you consent)" : "the one you choose in Slack"));
            if (spec.getUser() != null) {
                facts.add(Pages.Fact.of("Slack user", spec.getUser() + " only"));
            }
            facts.add(Pages.Fact.scopes("What it can do as you", spec.getUserScopes(), true));
            if (spec.getBotScopes() != null && !spec.getBotScopes().isEmpty()) {
                facts.add(Pages.Fact.scopes("As the app's bot", spec.getBotScopes(), false));
            }
            facts.add(Pages.Fact.of("Token goes to", "Secret " + WorkloadSecrets.name(connection) + " in Kubernetes "
                    + "namespace " + ns + ", readable by the workloads there"));
            facts.add(Pages.Fact.of("Asked by", "SlackUserConnection " + claims.name() + " in namespace " + ns));
            String note = Rebinding.bound(existing.orElse(null)).map(bound -> existing.get().tokens().isPresent()
                    ? "It is connected to Slack user " + bound + " now. A consent by that user renews its token; "
                            + "another Slack user is refused unless the connection's owner requested "
                            + "re-authorization (annotation " + Labels.REAUTHORIZE_REQUEST + ")."
                    : "It was connected to Slack user " + bound + ", whose tokens no longer work.").orElse(null);
            return Response.fromResponse(Pages.confirmation("Connect Slack to " + ns + "/" + claims.name() + "?",
                    "Continuing asks Slack to let the workloads below act in Slack as you: Slack shows you the same "
                            + "permissions and asks you to allow them. You can revoke the access later in Slack.",
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
                        + "replaying it changes nothing.", "Nothing: the connection is set up. You can close this page.");
            }
            requireCurrent(claims, existing);
            requireCookie(codec, cookie, claims);
            if (error != null) {
                throw "access_denied".equals(error)
                        ? Refusal.DECLINED.because("The Slack user declined to authorize " + who + ". No token was "
                                + "issued.", "If you meant to allow it, open the link you were given again.")
                        : Refusal.SLACK_ERROR.because("Slack answered '" + error + "' for " + who + ".",
                                "Tell the connection's owner what Slack answered; the link works again once the "
                                        + "Slack app is fixed.")
                                .owner("Check the Slack app's settings (scopes, Redirect URLs) and send the link "
                                        + "again.", null);
            }
            if (code == null || code.isBlank()) {
                throw Refusal.NO_CODE.because("Slack's redirect carried no code.",
                        "Open the link you were given again and consent again.");
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
                    "Nothing, if the connection was authorized with it. If you still need to connect, ask the "
                            + "connection's owner for a new link.")
                    .owner("The current link is in the connection's status (published while it needs a consent; "
                            + "request one with the annotation " + Labels.REAUTHORIZE_REQUEST + "):",
                            authorizeUrlCommand(claims.namespace(), claims.name()));
        }
    }

    /** The command that prints a connection's current authorize link. */
    static String authorizeUrlCommand(String namespace, String name) {
        return "kubectl get suc " + name + " -n " + namespace + " -o jsonpath='{.status.authorizeUrl}'";
    }

    private static void requireCookie(StateCodec codec, String cookie, StateCodec.Claims claims)
            throws Refusal.Failure {
        String who = claims.namespace() + "/" + claims.name();
        if (cookie == null) {
            throw Refusal.OTHER_BROWSER.because("The browser that finished the consent is not the one that started "
                    + "it (no flow cookie).", "Open the link you were given again, in this browser, and finish in "
                    + "the same tab.");
        }
        if (!codec.cookieMatches(cookie, claims.nonce())) {
            throw Refusal.OTHER_BROWSER.because("The flow cookie does not belong to this authorization of " + who
                    + ": it was started in another tab or browser.", "Open the link you were given again and finish "
                    + "in the same tab.");
        }
    }

    private StateCodec.Claims verify(String signed, StateCodec.Kind kind) throws Refusal.Failure {
        try {
            return keys.codec().verify(signed, kind);
        } catch (StateCodec.InvalidException e) {
            String what = kind == StateCodec.Kind.link ? "authorize link" : "OAuth state";
            if (e.problem() == StateCodec.Problem.EXPIRED) {
                throw kind == StateCodec.Kind.state
                        ? Refusal.LINK_EXPIRED.because("This consent took too long: it must finish within 10 "
                                + "minutes of opening the link.", "Open the link you were given again.")
                        : Refusal.LINK_EXPIRED.because("This authorize link has expired.",
                                "Ask the connection's owner for a new link.")
                                .owner("The connection's status always has a current link:",
                                        authorizeUrlCommand("NAMESPACE", "NAME"));
            }
            throw (kind == StateCodec.Kind.link ? Refusal.INVALID_LINK : Refusal.INVALID_STATE).because("This "
                    + what + " is not one this operator issued (" + e.problem().name().toLowerCase().replace('_', ' ')
                    + ").", "Open the link exactly as you were given it (a link cut short or changed does not "
                    + "work), or ask the connection's owner for a new one.")
                    .owner("Send the link from the connection's status:", authorizeUrlCommand("NAMESPACE", "NAME"));
        }
    }

    private String clientId(SlackUserConnection connection) throws Refusal.Failure {
        try {
            return apps.clientId(connection);
        } catch (SlackApps.UnusableAppException e) {
            throw misconfigured(e);
        }
    }

    /** The app as its users know it: the default app's display name if set, else its client id. */
    private String appName(SlackUserConnection connection, String clientId) {
        if (connection.getSpec().getSlackApp() == null) {
            Optional<String> name = config.slack().appDisplayName().filter(n -> !n.isBlank());
            if (name.isPresent()) {
                return name.get();
            }
        }
        return "client id " + clientId;
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
                "Tell the connection's owner; the link works once they fix it.")
                .owner("kubectl describe suc shows the same problem in the connection's conditions.", null);
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
