package dev.slacktokens.operator.slack;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;

/**
 * Typed access to the Slack Web API methods the operator needs. Every failure comes out as a
 * {@link SlackApiException} of a definite kind; no token is ever part of a message.
 */
public class SlackClient {

    /** Slack's own transient error strings (the rest are permanent). */
    private static final Set<String> TRANSIENT_ERRORS = Set.of("internal_error", "service_unavailable",
            "request_timeout", "fatal_error", "ratelimited");

    private final SlackWebApi api;
    private final URI baseUrl;
    private final SlackRateLimiter oauthLimit;

    SlackClient(SlackWebApi api, URI baseUrl, SlackRateLimiter oauthLimit) {
        this.api = api;
        this.baseUrl = baseUrl;
        this.oauthLimit = oauthLimit;
    }

    /**
     * A client for the Slack at {@code baseUrl}: {@code https://slack.com}, {@code https://slack-gov.com} for
     * GovSlack, or the simulator.
     */
    public static SlackClient create(URI baseUrl, Duration connectTimeout, Duration readTimeout) {
        return create(baseUrl, connectTimeout, readTimeout, new SlackRateLimiter(600, java.time.Clock.systemUTC()));
    }

    /**
     * @param oauthLimit the client-side limit on {@code oauth.v2.access} (Slack allows 600 per minute), shared by all
     *                   connections
     */
    public static SlackClient create(URI baseUrl, Duration connectTimeout, Duration readTimeout,
            SlackRateLimiter oauthLimit) {
        SlackWebApi api = QuarkusRestClientBuilder.newBuilder()
                .baseUri(baseUrl)
                .connectTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .build(SlackWebApi.class);
        return new SlackClient(api, baseUrl, oauthLimit);
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** Exchanges an authorization code ({@code oauth.v2.access}, authorization_code grant). */
    public OAuthGrant exchangeCode(ClientCredentials app, String code, String redirectUri,
            Optional<String> codeVerifier) {
        MultivaluedMap<String, String> form = new MultivaluedHashMap<>();
        form.putSingle("grant_type", "authorization_code");
        form.putSingle("code", code);
        if (redirectUri != null) {
            form.putSingle("redirect_uri", redirectUri);
        }
        codeVerifier.ifPresent(v -> form.putSingle("code_verifier", v));
        String method = "oauth.v2.access";
        try (SlackRateLimiter.Permit permit = permit(method)) {
            permit.sent();
            var json = call(method, () -> api.oauthV2Access(basicAuth(app, form), form));
            return SlackResponses.toGrant(method, json);
        }
    }

    /**
     * Takes a permit of the client-side {@code oauth.v2.access} limit for a refresh, or says how long until one frees
     * up. A refresh over the limit is a wait, not a failure: the caller takes the permit before it writes anything,
     * then calls {@link #refresh}, which gives it back with Slack's answer; a caller that does not call Slack after
     * all closes it (its place frees at once).
     */
    public SlackRateLimiter.Attempt tryAcquireRefreshPermit() {
        return oauthLimit.tryAcquire();
    }

    /** The client-side limit on {@code oauth.v2.access} calls per minute. */
    public int oauthAccessPerMinute() {
        return oauthLimit.perMinute();
    }

    /**
     * Rotates a refresh token ({@code oauth.v2.access}, refresh_token grant). The refresh token is single-use:
     * the caller must persist the returned pair before anything else.
     *
     * @param permit a permit of {@link #tryAcquireRefreshPermit()}, given back when Slack has answered
     */
    public RefreshedToken refresh(ClientCredentials app, SlackToken refreshToken, SlackRateLimiter.Permit permit) {
        MultivaluedMap<String, String> form = new MultivaluedHashMap<>();
        form.putSingle("grant_type", "refresh_token");
        form.putSingle("refresh_token", refreshToken.reveal());
        String method = "oauth.v2.access";
        try (permit) {
            permit.sent();
            var json = call(method, () -> api.oauthV2Access(basicAuth(app, form), form));
            return SlackResponses.toRefreshed(method, json);
        }
    }

    /** Converts a long-lived token into a rotating pair ({@code oauth.v2.exchange}); Slack allows it once. */
    public RefreshedToken exchangeLegacyToken(ClientCredentials app, SlackToken legacyToken) {
        MultivaluedMap<String, String> form = new MultivaluedHashMap<>();
        form.putSingle("client_id", app.clientId());
        app.clientSecret().ifPresent(s -> form.putSingle("client_secret", s));
        form.putSingle("token", legacyToken.reveal());
        String method = "oauth.v2.exchange";
        var json = call(method, () -> api.oauthV2Exchange(form));
        return SlackResponses.toRefreshed(method, json);
    }

    /** Confirms a token and tells whose it is ({@code auth.test}). */
    public AuthIdentity authTest(SlackToken token) {
        String method = "auth.test";
        var json = call(method, () -> api.authTest(bearer(token), new MultivaluedHashMap<>()));
        return SlackResponses.toIdentity(method, json);
    }

    /**
     * Revokes one token ({@code auth.revoke}). Idempotent: a token Slack already considers dead counts as
     * revoked. Returns whether Slack reported revoking it just now.
     */
    public boolean revoke(SlackToken token) {
        String method = "auth.revoke";
        try {
            var json = call(method, () -> api.authRevoke(bearer(token), new MultivaluedHashMap<>()));
            SlackResponses.requireOk(method, json.ok(), json.error());
            return Boolean.TRUE.equals(json.revoked());
        } catch (SlackPermanentException e) {
            if (e.isTokenDead()) {
                return false;
            }
            throw e;
        }
    }

    /** A permit of the client-side limit, or (over it) a rate-limited failure without calling Slack. */
    private SlackRateLimiter.Permit permit(String method) {
        SlackRateLimiter.Attempt attempt = oauthLimit.tryAcquire();
        if (attempt instanceof SlackRateLimiter.Permit permit) {
            return permit;
        }
        Duration wait = ((SlackRateLimiter.Wait) attempt).duration();
        throw new SlackRateLimitedException(method, wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : wait.plusMillis(999).truncatedTo(java.time.temporal.ChronoUnit.SECONDS), true);
    }

    private static String basicAuth(ClientCredentials app, MultivaluedMap<String, String> form) {
        if (app.clientSecret().isEmpty()) {
            // A PKCE (public) client proves itself with the code verifier; Slack wants client_id in the form.
            form.putSingle("client_id", app.clientId());
            return null;
        }
        String pair = app.clientId() + ":" + app.clientSecret().get();
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static String bearer(SlackToken token) {
        return "Bearer " + token.reveal();
    }

    /** Runs one HTTP call and turns every transport or HTTP failure into a typed {@link SlackApiException}. */
    private static <T> T call(String method, Supplier<T> request) {
        try {
            return request.get();
        } catch (SlackWebApi.HttpStatusException e) {
            throw fromStatus(method, e);
        } catch (WebApplicationException e) {
            int status = e.getResponse() == null ? 0 : e.getResponse().getStatus();
            if (status >= 200 && status < 300) {
                // Slack answered 2xx but the body could not be read as Slack JSON (a proxy page, a truncation).
                // No cause: a JSON parser's message quotes the body, which may hold a token.
                throw new SlackTransientException(method, "invalid_response", "the response was not Slack JSON", null);
            }
            throw new SlackTransientException(method, "http_" + status, null, e);
        } catch (ProcessingException e) {
            SlackWebApi.HttpStatusException status = findCause(e, SlackWebApi.HttpStatusException.class);
            if (status != null) {
                throw fromStatus(method, status);
            }
            if (findCause(e, java.net.ConnectException.class) != null) {
                // The connection was never made (refused, or its connect timeout): the request never left.
                throw new SlackTransientException(method, "connection_refused", e.getClass().getSimpleName(), e);
            }
            boolean timeout = findCause(e, java.util.concurrent.TimeoutException.class) != null
                    || String.valueOf(e.getMessage()).toLowerCase().contains("timeout")
                    || String.valueOf(e.getMessage()).toLowerCase().contains("timed out");
            if (findCause(e, com.fasterxml.jackson.core.JacksonException.class) != null) {
                // No cause: a JSON parser's message quotes the body, which may hold a token.
                throw new SlackTransientException(method, "invalid_response", "the response was not Slack JSON", null);
            }
            throw new SlackTransientException(method, timeout ? "timeout" : "connection_failed",
                    e.getClass().getSimpleName(), e);
        }
    }

    private static SlackApiException fromStatus(String method, SlackWebApi.HttpStatusException e) {
        if (e.status == 429) {
            return new SlackRateLimitedException(method, e.retryAfter);
        }
        if (e.status >= 500 || e.status == 408) {
            return new SlackTransientException(method, "http_" + e.status, null, null);
        }
        return new SlackPermanentException(method, "http_" + e.status, "unexpected HTTP status");
    }

    static boolean isTransientError(String error) {
        return TRANSIENT_ERRORS.contains(error);
    }

    private static <E extends Throwable> E findCause(Throwable t, Class<E> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }
}
